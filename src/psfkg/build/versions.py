"""The releases as versions of the dataset, in the catalogue (DCAT 3 versioning).

The dataset (``<base>dataset``) has each release as a version (``dcat:hasVersion``) and the
release being built as its current one (``dcat:hasCurrentVersion``); its own ``dcat:version`` is
the dataset version (see :func:`psfkg.release.next_dataset_version`), not the ontology's. Each
release, ``<base>releases/<id>/`` (its page), is a ``dcat:Dataset`` with its ``dcat:version``,
``adms:versionNotes``, ``dcat:isVersionOf`` the dataset, ``dcat:previousVersion`` (the release
before it) and its own distributions, downloaded from ``<site>releases/<id>/<file>``. What
describes every version alike (publisher, contact point, themes, keywords, access rights) is the
dataset's; its coverage (countries, first and last date) is what that release's own catalogue
said.

The build knows only the releases on disk when it runs: a release's catalogue lists itself and
those before it, and never changes; the latest's, which ``/catalog`` serves, lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF
from rdflib.term import Node

from ..namespaces import DATASET, METADATA_PREFIXES, release_version
from ..release import dataset_version
from .catalog import _about, _add, _distribution, _en, _in, _license, _sorted, dumps
from .ranges import DCAT, typed

ADMS = Namespace(METADATA_PREFIXES["adms"])
#: What every version says as the dataset does.
SHARED = (
    DCTERMS.publisher,
    DCTERMS.language,
    DCAT.theme,
    DCAT.keyword,
    DCAT.contactPoint,
    DCTERMS.accessRights,
)


@dataclass(frozen=True)
class Version:
    """A release as a version of the dataset: its id and manifest, and the coverage its own
    catalogue gave the dataset (countries; the first and last date)."""

    name: str
    manifest: Mapping[str, Any]
    spatial: tuple[Node, ...] = ()
    period: tuple[Node, Node] | None = None


def version_of(name: str, manifest: Mapping[str, Any], catalogue: Graph) -> Version:
    """A release as a :class:`Version`, from its manifest and its catalogue."""
    dataset = _in(manifest["base_iri"], DATASET)
    return Version(
        name,
        manifest,
        tuple(_sorted(catalogue.objects(dataset, DCTERMS.spatial))),
        _period(catalogue, dataset),
    )


def add(
    g: Graph, manifest: Mapping[str, Any], name: str, earlier: Sequence[Version], *, site: str
) -> None:
    """Give the catalogue ``g`` of release ``name`` (its ``manifest``) the dataset's versions:
    ``earlier`` (oldest first), then this one."""
    base = manifest["base_iri"]
    dataset = _in(base, DATASET)
    shared = [(p, o) for p in SHARED for o in _sorted(g.objects(dataset, p))]
    rights = next(g.objects(None, DCTERMS.rights), None)
    licence = g.value(next(g.objects(dataset, DCAT.distribution), None), DCTERMS.license)
    here = version_of(name, manifest, g)
    previous: URIRef | None = None
    for v in [*earlier, here]:
        m = v.manifest
        it = _in(base, release_version(v.name))
        number = dataset_version(dict(m), v.name)
        when = Literal(m["date"], datatype=XSD.dateTime)
        notes = (
            f"Release {v.name} of the dataset, built {m['date']}: dataset version {number}, "
            f"ontology version {m['version']}."
        )
        title = f"CBSS Project Support Facility knowledge graph, version {number}"
        _add(g, dataset, (DCAT.hasVersion, it))
        _add(g, it, *_about(DCAT.Dataset, title, notes), *shared)
        _add(g, it, (DCAT.version, Literal(number)), (ADMS.versionNotes, _en(notes)))
        _add(g, it, (DCTERMS.issued, when), (DCTERMS.modified, when))
        page = URIRef(f"{site}releases/{v.name}/")
        _add(g, it, (DCAT.isVersionOf, dataset), (FOAF.page, page))  # DCAT-AP 3: not dct:
        _add(g, it, *((DCTERMS.spatial, c) for c in v.spatial))
        if v.period is not None:
            _add(g, it, (DCTERMS.temporal, period := BNode(f"period-{v.name}")))
            _add(g, period, (RDF.type, DCTERMS.PeriodOfTime))
            _add(g, period, (DCAT.startDate, v.period[0]), (DCAT.endDate, v.period[1]))
        if previous is not None:
            _add(g, it, (DCAT.previousVersion, previous))
        for file in dumps(m):
            dist = URIRef(f"{it}#{file}")
            _add(g, it, (DCAT.distribution, dist))
            at = f"releases/{v.name}/"
            _distribution(g, dist, file, m["files"][file], site=site, base=base, at=at)
            _add(g, dist, *([(DCTERMS.rights, rights)] if rights is not None else []))
            _add(g, dist, *_license(str(licence) if licence is not None else None))
        previous = it
    if previous is not None:
        _add(g, dataset, (DCAT.hasCurrentVersion, previous))
    typed(g)


def _period(g: Graph, dataset: URIRef) -> tuple[Node, Node] | None:
    """The dataset's first and last date, if its catalogue gives them."""
    period = g.value(dataset, DCTERMS.temporal)
    start = g.value(period, DCAT.startDate) if period is not None else None
    end = g.value(period, DCAT.endDate) if period is not None else None
    return (start, end) if start is not None and end is not None else None
