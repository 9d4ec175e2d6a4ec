"""``/releases``: every release on disk, each at a stable, immutable home.

``/releases`` (and ``/releases.json``) lists the releases, oldest first: id, dataset version,
date, triples, size. ``/releases/<id>/`` lists every file the release's ``SHA256SUMS`` names,
with its bytes and SHA-256, and cites the release: a page, JSON, and (being the release's IRI,
a ``dcat:Dataset`` that is a version of the dataset) RDF, what the release's own catalogue says
of it and its distributions, with their labels; ``/releases/<id>/index.<suffix>`` names one
(``.html``, ``.json``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``). Each file
is at ``/releases/<id>/<name>``, served from disk as ``/dumps`` serves the latest (see
:func:`psfkg.web.dumps.send`), with ``Cache-Control: immutable`` (a release never changes), a
strong ETag and a ``Repr-Digest`` from its checksum.

An old release is never loaded: its manifest and ``SHA256SUMS`` are read (and its files checked
against them once per worker, by :func:`psfkg.release.history`), and its files are sent from disk.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, request, url_for
from rdflib import DCAT, DCTERMS, RDFS, SKOS, Graph, URIRef

from .. import formats
from .. import release as rel
from ..errors import NotAcceptable
from ..namespaces import rebase, release_version
from . import statements
from .citing import citation, schema_org
from .dumps import about, licences, send
from .portal import moved
from .resources import choose, turtle
from .service import served_release, service
from .site import RDF, link_alternates, link_header, page, tagged, url, wants

bp = Blueprint("releases", __name__)
LISTINGS = (formats.HTML, formats.JSON)
#: What a release's home is offered in: its page first, for browsers and ``*/*``.
HOME = (*LISTINGS, *RDF)
#: The predicates that name what a release's description links to.
LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
#: Releases whose description (from their catalogues) a worker keeps.
DESCRIPTIONS_KEPT = 8
#: A year: how long a client may keep a file of a release, which never changes.
FOREVER = 31536000
#: Opened releases of this worker: folder -> (``SHA256SUMS``'s mtime, the release).
_OPENED: dict[Path, tuple[int, rel.Published]] = {}


def opened(path: Path) -> rel.Published:
    """A release, opened (and its files checked) once per worker while it is unchanged."""
    stamp = (path / rel.CHECKSUMS).stat().st_mtime_ns
    found = _OPENED.get(path)
    if found is None or found[0] != stamp:
        _OPENED[path] = found = (stamp, rel.Published.open(path))
    return found[1]


def releases() -> list[rel.Published]:
    """Every good release on disk, oldest first."""
    served_release()  # 404 when the server serves files given on the command line
    found = rel.history(service().settings.releases_dir, opener=opened)
    for gone in set(_OPENED) - {r.path for r in found}:
        del _OPENED[gone]  # pruned, or broken since
    return found


def sums(published: rel.Published) -> dict[str, dict[str, Any]]:
    """Every file of a release, ``SHA256SUMS`` itself included: name -> bytes and sha256."""
    text = published.read(rel.CHECKSUMS) or (published.path / rel.CHECKSUMS).read_bytes()
    found: dict[str, dict[str, Any]] = {}
    for line in text.decode("utf-8").splitlines():
        digest, _, name = line.partition(" ")
        name = name[1:] if name[:1] in (" ", "*") else name
        if name in published.names:
            found[name] = {"sha256": digest, "bytes": (published.path / name).stat().st_size}
    found[rel.CHECKSUMS] = {
        "sha256": rel.sha256(text),
        "bytes": len(text),
    }
    return dict(sorted(found.items()))


def summary(published: rel.Published, current: str) -> dict[str, Any]:
    """A release as the listing shows it."""
    files = published.manifest["files"]
    return {
        "id": published.name,
        "dataset_version": rel.dataset_version(published.manifest, published.name),
        "ontology_version": published.manifest["version"],
        "date": published.manifest["date"],
        "triples": published.default_graph_triples,
        "bytes": sum(int(f["bytes"]) for f in files.values()),
        "latest": published.name == current,
        "url": url_for("releases.release", rid=published.name, _external=True),
    }


def _unknown(what: str, ids: list[str]) -> Response:
    """404 naming what was not found and the releases there are."""
    message = f"{what}; the releases are: {', '.join(ids) or 'none'}"
    try:
        as_json = wants(LISTINGS) is formats.JSON
    except NotAcceptable:
        as_json = False  # an RDF client, say: what is not there is not there in any format
    if as_json or request.path.endswith(".json"):
        response = jsonify({"error": message, "releases": ids})
    else:
        response = page(
            "releases.html",
            status=404,
            title="Not found: releases",
            error=message,
            releases=[],
            ids=ids,
            json_url=url_for("releases.listing_json"),
        )
    response.status_code = 404
    return response


@bp.route("/releases")
@bp.route("/releases.json", endpoint="listing_json")
def listing() -> Response:
    """Every release, oldest first, as HTML or JSON."""
    current = served_release().name
    found = [summary(r, current) for r in releases()]
    json_url = url_for("releases.listing_json")
    if request.path.endswith(".json") or wants(LISTINGS) is formats.JSON:
        response = jsonify({"latest": current, "releases": found})
    else:
        response = page(
            "releases.html",
            title="Releases",
            releases=list(reversed(found)),
            ids=[],
            error=None,
            json_url=json_url,
            alternates=[(json_url, formats.JSON.media_type, "JSON")],
        )
        response.headers["Link"] = link_alternates([(json_url, formats.JSON.media_type, "JSON")])
    response.headers["Vary"] = "Accept"
    return tagged(response)


def _find(rid: str) -> tuple[rel.Published | None, list[rel.Published]]:
    found = releases()
    return next((r for r in found if r.name == rid), None), found


def described(published: rel.Published) -> Graph:
    """What the release's own catalogue says of the release (its IRI, ``releases/<id>/``) and of
    its distributions, blank nodes and all, and the labels of what they link to; read once per
    worker for each of the last few releases asked for."""
    kept: OrderedDict[Path, Graph] = service().cache.setdefault("release homes", OrderedDict())
    found = kept.get(published.path)
    if found is None:
        # Blank nodes keep the catalogue's labels, so that every worker writes the same bytes.
        catalogue = statements.graph(published.read(rel.CATALOG) or b"")
        it = URIRef(rebase(str(release_version(published.name)), published.base))
        found = Graph()
        for node in (it, *catalogue.objects(it, DCAT.distribution)):
            catalogue.cbd(node, target_graph=found)
        for term in sorted({o for o in found.objects() if isinstance(o, URIRef)}):
            for predicate in LABELS:
                found += catalogue.triples((term, predicate, None))
        kept[published.path] = found
        while len(kept) > DESCRIPTIONS_KEPT:
            kept.popitem(last=False)
    else:
        kept.move_to_end(published.path)
    return found


@bp.route("/releases/<rid>/", endpoint="release")
@bp.route("/releases/<rid>/index.json", endpoint="release_json", defaults={"suffix": "json"})
@bp.route("/releases/<rid>/index.<suffix>", endpoint="release_as")
def release_page(rid: str, suffix: str | None = None) -> Response:
    """One release: its files with bytes and SHA-256, and how to cite it, as HTML or JSON; what
    its catalogue says of it, as RDF."""
    published, found = _find(rid)
    if published is None:
        return _unknown(f"no release {rid[:80]!r}", [r.name for r in found])
    chosen = choose(suffix, HOME)
    home = f"/releases/{rid}/index"
    iri = rebase(str(release_version(rid)), published.base)
    if chosen in RDF:
        graph = described(published)
        if request.url_root != published.base:
            graph = moved(graph, published.base, request.url_root)
        response = Response(_written(graph, chosen, iri), content_type=chosen.content_type)
    else:
        response = _listed(published, found, chosen)
    response.headers["Link"] = link_header(home, canonical=iri, offers=HOME)
    response.headers["Content-Location"] = url(f"{home}.{chosen.suffix}")
    response.vary.add("Accept")
    return tagged(response)


def _written(graph: Graph, fmt: formats.Format, iri: str) -> bytes:
    """``graph`` in ``fmt``, its triples sorted (as query results are), so that every worker
    writes it as the same bytes: Turtle as a resource's, the release's block first."""
    lines = sorted(graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True))
    n_triples = b"".join(line for line in lines if line.strip())
    if fmt is formats.TURTLE:
        return turtle(n_triples, iri)
    rdf = ox.RdfFormat.from_media_type(fmt.media_type)
    assert rdf is not None, fmt
    return ox.serialize(ox.parse(n_triples, format=ox.RdfFormat.N_TRIPLES), format=rdf) or b""


def _listed(
    published: rel.Published, found: list[rel.Published], chosen: formats.Format
) -> Response:
    """A release's page or JSON: its files, and how to cite it."""
    rid = published.name
    info = summary(published, served_release().name)
    files = [
        {
            "name": name,
            "url": url_for("releases.file", rid=rid, name=name, _external=True),
            **data,
        }
        for name, data in sums(published).items()
    ]
    before = [r for r in found if r.name < rid]
    cited = citation(published)
    if chosen is formats.JSON:
        return jsonify(
            {
                **info,
                "previous": before[-1].name if before else None,
                "files": files,
                "citation": {k: cited[k] for k in ("text", "bibtex")} | {"csl": cited["csl"]},
            }
        )
    json_ld = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": info["url"],
        "name": cited["title"] or "psfkg",
        "url": info["url"],
        **schema_org(cited, licences()),
        "isPartOf": cited["url"],
    }
    home = f"/releases/{rid}/index"
    return page(
        "release.html",
        title=f"Release {rid}",
        info=info,
        previous=before[-1].name if before else None,
        files=[{**f, "about": about(f["name"])} for f in files],
        citation=cited,
        json_ld=json_ld,
        json_url=url_for("releases.release_json", rid=rid),
        alternates=[(url(f"{home}.{f.suffix}"), f.media_type, f.label) for f in HOME[1:]],
    )


@bp.route("/releases/<rid>/<path:name>", endpoint="file")
def release_file(rid: str, name: str) -> Response:
    """One file of a release, from disk, immutable."""
    published, found = _find(rid)
    if published is None:
        return _unknown(f"no release {rid[:80]!r}", [r.name for r in found])
    response = send(published, name, sums(published), max_age=FOREVER, immutable=True)
    if response is None:
        return _unknown(f"no file {name[:200]!r} in release {rid}", [r.name for r in found])
    return response
