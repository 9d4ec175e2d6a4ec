"""How to cite a release: one citation, from the catalogue's dataset and the release's manifest,
in the forms the pages show (plain text, BibTeX, CSL-JSON) and as schema.org for the page's
JSON-LD. Nothing is invented: there is no DOI, and the author is the catalogue's publisher.

The landing page, ``/dumps`` and each ``/releases/<id>/`` page show it with the ``cite`` macro of
``_cite.html``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import url_for
from rdflib import RDF
from rdflib.namespace import DCAT, DCTERMS, FOAF

from .. import release as rel
from .service import service


def citation(published: rel.Published) -> dict[str, str]:
    """How to cite the release: title, publisher, dataset version, ontology version, release id
    and date, the dataset's IRI and the release's URL; as ``text``, ``bibtex`` and ``csl``
    (CSL-JSON). The title and publisher are the served catalogue's (a release never changes
    them); the version and date are the release's own."""
    graph = service().release_graph(rel.CATALOG)
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset), None)
    publisher = graph.value(dataset, DCTERMS.publisher) if dataset is not None else None
    date = str(published.manifest["date"])[:10]
    found = {
        "title": str(graph.value(dataset, DCTERMS.title) or "") if dataset is not None else "",
        "publisher": str(graph.value(publisher, FOAF.name) or "") if publisher is not None else "",
        "version": rel.dataset_version(published.manifest, published.name),
        "ontology_version": str(published.manifest["version"]),
        "release": published.name,
        "date": date,
        "year": date[:4],
        "url": str(dataset or published.base + "dataset"),
        "release_url": url_for("releases.release", rid=published.name, _external=True),
    }
    found["text"] = (
        f"{found['publisher']} ({found['year']}). {found['title']}, version {found['version']} "
        f"(release {found['release']}, {found['date']}) [data set]. {found['release_url']}"
    )
    found["bibtex"] = "\n".join(
        [
            f"@misc{{psfkg-{found['release']},",
            f"  author       = {{{found['publisher']}}},",
            f"  title        = {{{found['title']}}},",
            f"  year         = {{{found['year']}}},",
            f"  version      = {{{found['version']}}},",
            f"  note         = {{Release {found['release']}, {found['date']}}},",
            f"  howpublished = {{\\url{{{found['release_url']}}}}}",
            "}",
        ]
    )
    found["csl"] = json.dumps(csl(found), ensure_ascii=False, indent=1)
    return found


def csl(found: dict[str, str]) -> dict[str, Any]:
    """The citation as a CSL-JSON item (type ``dataset``)."""
    y, m, d = (int(x) for x in found["date"].split("-"))
    return {
        "id": f"psfkg-{found['release']}",
        "type": "dataset",
        "title": found["title"],
        "author": [{"literal": found["publisher"]}],
        "publisher": found["publisher"],
        "version": found["version"],
        "issued": {"date-parts": [[y, m, d]]},
        "URL": found["release_url"],
    }


def schema_org(found: dict[str, str], licences: list[str]) -> dict[str, Any]:
    """What a schema.org ``Dataset`` says of the release: version, date, citation, licence."""
    return {
        "version": found["version"],
        "datePublished": found["date"],
        "citation": found["text"],
        **({"license": licences[0] if len(licences) == 1 else licences} if licences else {}),
    }
