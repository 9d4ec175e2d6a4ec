"""``/dumps``: every file of the current release at a stable URL, and a listing of them.

Files are served with their media type, Content-Length, an ETag (their SHA-256), Last-Modified
(the release date), Content-Disposition, conditional GET, HEAD and ranges. A client that accepts
gzip gets the ``.gz`` twin with ``Content-Encoding: gzip``. Only names the release lists are
served, so no path can leave the release folder.
"""

from __future__ import annotations

from base64 import b64encode
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, send_file, url_for
from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCAT, DCTERMS

from .. import formats
from .. import release as rel
from .citing import citation
from .service import served_release, service
from .site import link_alternates, page, url, wants

bp = Blueprint("dumps", __name__)
#: The listing's formats.
LISTINGS = (formats.HTML, formats.JSON)
#: What the two files that describe a release hold (the others' are in :data:`release.FILES`).
ABOUT = {
    rel.CHECKSUMS: "the SHA-256 of every file of the release, for sha256sum -c",
    rel.MANIFEST: "the release: its version, date, triples per graph, files, sources and queries",
    rel.SEARCH: "the search index behind /search: names and descriptions, SQLite with FTS5",
    rel.PATCH: "what changed since the previous release: every quad added and removed, RDF Patch",
    rel.ADDED: "the quads added since the previous release, N-Quads",
    rel.REMOVED: "the quads removed since the previous release, N-Quads",
    rel.CHANGES: "the records added, removed and changed since the previous release, JSON",
    rel.RESOURCES: "the quads by subject and object, SQLite: what serves this release's past "
    "versions of records (Memento)",
}
#: Who the two files that describe a release are for, as :data:`formats.USED_BY` says of formats.
USED_BY = {
    rel.CHECKSUMS: "sha256sum, to check that each download is whole and unchanged",
    rel.MANIFEST: "programs that check what a release holds before they load it",
}


@bp.route("/dumps")
@bp.route("/dumps.json")
def listing() -> Response:
    """The release's files with sizes and checksums, as HTML or JSON."""
    published = served_release()
    files = [
        {"name": name, "url": url_for("dumps.dump", name=name, _external=True), **info}
        for name, info in published.manifest["files"].items()
    ]
    own = [_described(published, name) for name in (rel.CHECKSUMS, rel.MANIFEST)]
    if request.path.endswith(".json") or wants(LISTINGS) is formats.JSON:
        response = jsonify(
            {
                "release": published.name,
                "version": published.manifest["version"],
                "dataset_version": rel.dataset_version(published.manifest, published.name),
                "date": published.manifest["date"],
                "files": files,
                "checksums": own[0],
                "manifest": own[1],
                "license": licences(),
            }
        )
    else:
        json_url = url("/dumps.json")
        response = page(
            "dumps.html",
            title=f"Downloads: release {published.name}",
            release=published.name,
            version=published.manifest["version"],
            date=published.manifest["date"],
            files=[{**f, "about": about(f["name"])} for f in [*files, *own]],
            kinds=kinds([f["name"] for f in [*files, *own]]),
            licences=licences(),
            rights=rights(),
            citation=citation(published),
            json_url=json_url,
            alternates=[(json_url, formats.JSON.media_type, "JSON")],
        )
        response.headers["Link"] = link_alternates([(json_url, formats.JSON.media_type, "JSON")])
    response.headers["Vary"] = "Accept"
    return response


def _described(published: rel.Published, name: str) -> dict[str, Any]:
    """A file that describes the release, as the listing shows the others: its URL, size and
    SHA-256, measured once per worker (a release never changes)."""
    cache = service().cache
    key = f"dumps:{name}"
    if key not in cache:
        path = published.path / name
        cache[key] = {"bytes": path.stat().st_size, "sha256": rel.file_sha256(path)}
    found: dict[str, Any] = cache[key]
    return {"name": name, "url": url_for("dumps.dump", name=name, _external=True), **found}


def about(name: str) -> str:
    """What a file of the release holds, in a line."""
    stem, gz = (name[: -len(".gz")], True) if name.endswith(".gz") else (name, False)
    text = rel.FILES.get(stem) or ABOUT.get(stem, "")
    return f"{text}, gzipped" if gz and text else text


def kinds(names: list[str]) -> list[tuple[str, str, str]]:
    """(format, suffix, who uses it) of each format among the release's data files, then of
    the two files that describe the release; one line each."""
    found: list[formats.Format] = []
    for name in names:
        fmt = formats.from_suffix(name.rpartition(".")[2])
        if fmt is not None and fmt not in found and fmt in formats.USED_BY:
            found.append(fmt)
    listed = [(f.label, f".{f.suffix}", formats.USED_BY[f]) for f in found]
    return listed + [(name, "", who) for name, who in USED_BY.items()]


def _catalogue() -> Graph:
    return service().release_graph(rel.CATALOG)


def licences() -> list[str]:
    """The licences the catalogue gives the release's files (its distributions)."""
    graph = _catalogue()
    return sorted(
        {
            str(o)
            for d in graph.subjects(RDF.type, DCAT.Distribution)
            for o in graph.objects(d, DCTERMS.license)
        }
    )


def rights() -> list[str]:
    """The catalogue's statements of what the licence covers."""
    graph = _catalogue()
    return sorted(
        {str(graph.value(r, RDFS.label) or "") for r in graph.objects(None, DCTERMS.rights)} - {""}
    )


@bp.route("/dumps/<name>")
def dump(name: str) -> Response:
    """One file of the release."""
    published = served_release()
    files = published.manifest["files"]
    if name not in files and name not in (rel.MANIFEST, rel.CHECKSUMS):
        abort(404, f"no file {name!r} in release {published.name}")
    response = send(published, name, files, max_age=3600)
    if response is None:
        abort(404, f"no file {name!r} in release {published.name}")
    return response


def send(
    published: rel.Published,
    name: str,
    sums: dict[str, Any],
    *,
    max_age: int,
    immutable: bool = False,
) -> Response | None:
    """Answer with the file ``name`` of a release, read from disk (``X-Sendfile`` through the
    front), its ``.gz`` twin to a client that accepts gzip; None when the release has no such
    file. ``sums`` gives each file's ``sha256``: its strong ETag and its ``Repr-Digest``."""
    served, encoding = name, None
    if f"{name}.gz" in sums and request.accept_encodings.quality("gzip") > 0:
        served, encoding = f"{name}.gz", "gzip"
    # SHA256SUMS is what the release was checked against; every other file is one it lists.
    path = published.path / served if served == rel.CHECKSUMS else published.file(served)
    if path is None:
        return None
    fmt = formats.TEXT if name == rel.CHECKSUMS else formats.from_suffix(name.rpartition(".")[2])
    modified = datetime.fromisoformat(published.manifest["date"].replace("Z", "+00:00"))
    digest = sums.get(served, {}).get("sha256")
    response = send_file(
        path,
        mimetype=fmt.media_type if fmt else "application/octet-stream",
        as_attachment=True,
        download_name=name.rpartition("/")[2],
        conditional=True,
        etag=digest or published.etag,
        last_modified=modified,
        max_age=max_age,
    )
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if digest:
        response.headers["Repr-Digest"] = f"sha-256=:{b64encode(bytes.fromhex(digest)).decode()}:"
    if immutable:
        response.headers["Cache-Control"] = f"public, max-age={max_age}, immutable"
    response.headers["Vary"] = "Accept-Encoding"
    return response
