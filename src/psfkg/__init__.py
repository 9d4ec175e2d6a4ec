"""psfkg: the knowledge graph of the CBSS Project Support Facility's projects."""

from __future__ import annotations

#: The one version constant: package version, ``owl:versionInfo`` and the ontology's version IRI.
__version__ = "1.0.0"
