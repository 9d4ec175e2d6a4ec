"""What changed in each release: ``/releases/<id>/changes`` (HTML, or JSON by ``Accept``),
and the Atom feed of releases at ``/releases.atom``. The change files themselves (the patch
``changes.rdfp``, ``changes.json``, ``added.nq``, ``removed.nq``) are served, immutable, with the
release's other files (:mod:`~psfkg.web.releases`).

Each release's change files were written by the build (:mod:`psfkg.build.changes`); this only
reads them, from the release's own folder, so no release is held in memory. A release is named
by its folder; any other id is 404.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, url_for

from .. import formats
from .. import release as rel
from .citing import citation
from .releases import releases as on_disk
from .service import served_release
from .site import curie, href, link_alternates, page, tagged, wants
from .statements import term_labels

bp = Blueprint("changes", __name__)
#: The changelog's formats.
OFFERS = (formats.HTML, formats.JSON)
ATOM_NS = "http://www.w3.org/2005/Atom"


def _releases() -> list[rel.Published]:
    """Every good release on disk, newest first, each opened once per worker
    (:func:`psfkg.web.releases.releases`)."""
    return on_disk()[::-1]


def _release(release_id: str) -> rel.Published:
    """The release named ``release_id``; 404 when there is no good release of that name."""
    for published in _releases():
        if published.name == release_id:
            return published
    abort(404, f"no release {release_id[:80]!r}: /releases.atom lists them")


def changelog(published: rel.Published) -> dict[str, Any]:
    """The release's changelog, each property with its label; ``previous`` None for a first
    release."""
    data = published.read(rel.CHANGES)
    found: dict[str, Any] = (
        json.loads(data)
        if data is not None
        else {"previous": None, "quads": {}, "added": [], "removed": [], "changed": []}
    )
    labels = term_labels()
    for change in found["changed"]:
        for statement in change["statements"]:
            statement["label"] = labels.get(statement["property"], curie(statement["property"]))
    return {"release": published.name, "date": published.manifest["date"], **found}


def summary(log: dict[str, Any]) -> str:
    """The changelog in a sentence."""
    if log["previous"] is None:
        return "The first release: there is no earlier one to compare it with."
    added, removed, changed = (len(log[k]) for k in ("added", "removed", "changed"))
    quads = log["quads"]
    return (
        f"Since release {log['previous']}: {added} records added, {removed} removed and "
        f"{changed} changed; "
        f"{quads['added']} quads added and {quads['removed']} removed."
    )


def _value(nt: str) -> dict[str, str | None]:
    """An N-Triples term as the page shows it: its text, and a link for an IRI."""
    term = next(iter(ox.parse(f"<x:s> <x:p> {nt} .".encode(), format=ox.RdfFormat.N_TRIPLES)))
    obj = term.object
    if isinstance(obj, ox.NamedNode):
        return {"text": curie(obj.value), "href": href(obj.value)}
    language = obj.language if isinstance(obj, ox.Literal) else None
    return {"text": obj.value, "href": None, "language": language}


@bp.route("/releases/<release_id>/changes")
def changes(release_id: str) -> Response:
    """What changed in a release since the one before it, as HTML or (by ``Accept``) JSON with
    each property's label. The release's own files, ``changes.json`` and the patch, are served
    where its other files are (:mod:`~psfkg.web.releases`), immutable."""
    published = _release(release_id)
    log = changelog(published)
    json_url = _file(published, rel.CHANGES)
    patch = rel.PATCH in published.names
    if wants(OFFERS) is formats.JSON:
        response = jsonify(log)
    else:
        for change in log["changed"]:
            for statement in change["statements"]:
                statement["old_shown"] = [_value(v) for v in statement["old"]]
                statement["new_shown"] = [_value(v) for v in statement["new"]]
        alternates = [(json_url, formats.JSON.media_type, "JSON")]
        response = page(
            "changes.html",
            title=f"What changed in release {published.name}",
            log=log,
            summary=summary(log),
            json_url=json_url,
            patch_url=_file(published, rel.PATCH) if patch else None,
            alternates=alternates,
        )
        response.headers["Link"] = link_alternates(alternates)
    response.headers["Vary"] = "Accept"
    return tagged(response)


def _file(published: rel.Published, name: str, *, external: bool = False) -> str:
    """The stable URL of one of a release's files."""
    return url_for("releases.file", rid=published.name, name=name, _external=external)


@bp.route("/releases.atom")
def feed() -> Response:
    """The Atom feed (RFC 4287) of the releases, newest first, each with its changes."""
    found = _releases()
    cite = citation(served_release())
    base = served_release().base
    root = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(root, "id").text = f"{base}releases"
    ET.SubElement(root, "title").text = f"Releases of {cite['title'] or 'the PSF graph'}"
    ET.SubElement(root, "updated").text = found[0].manifest["date"] if found else cite["date"]
    author = ET.SubElement(root, "author")
    ET.SubElement(author, "name").text = cite["publisher"] or "psfkg"
    self_url = url_for("changes.feed", _external=True)
    ET.SubElement(root, "link", rel="self", type=formats.ATOM.media_type, href=self_url)
    for published in found:
        log = changelog(published)
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = f"{base}releases/{published.name}/"
        ET.SubElement(entry, "title").text = f"Release {published.name}"
        ET.SubElement(entry, "updated").text = published.manifest["date"]
        ET.SubElement(entry, "summary").text = summary(log)
        changes_url = url_for("changes.changes", release_id=published.name, _external=True)
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=changes_url)
        if rel.PATCH in published.names:
            patch_url = _file(published, rel.PATCH, external=True)
            ET.SubElement(
                entry, "link", rel="related", type=formats.RDF_PATCH.media_type, href=patch_url
            )
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return tagged(Response(body, content_type=formats.ATOM.content_type))
