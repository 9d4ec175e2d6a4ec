"""Resources as they were: Memento (RFC 7089) over the releases on disk.

Every resource IRI the graph mints (a record ``/id/...``, the ontology ``/def``, a named graph
``/graph/...``, the dataset ``/dataset``, a source page ``/source/...``) is an Original
Resource that is its own TimeGate (RFC 7089 pattern 2.2, section 4.2.2): a request with
``Accept-Datetime`` is answered, at the same URL, with the version of the newest release built
at or before that time (the first release's for a time before it, as section 4.5.3 allows),
with ``Memento-Datetime``, ``Vary: accept-datetime``, ``Content-Location`` naming the memento
and ``Link`` to the original, the TimeMap and the mementos. Without the header the current
release answers, from the live store, and names its TimeMap.

- ``/releases/<id>/<path>`` (``/releases/<id>/id/...``, ``.../def``, ``.../graph/...``...): the
  memento, the resource in release ``<id>`` (HTML or RDF, negotiated as the current page is; a
  suffix names one); no file of a release has those names, so none is mistaken for one;
- ``/timemap/<path>``: its TimeMap (``application/link-format``, section 5), every release
  holding the resource; ``/timemap/<path>.json`` the same as JSON;
- a resource gone from the current release but held by an earlier one answers 410 Gone, with a
  ``Link`` to its last memento and its TimeMap.

The text of a source page (``/source/<name>.txt``) is the copy on disk, not a statement of a
release: it has no mementos.

A past version is read from its release's ``resources.sqlite`` (:mod:`psfkg.web.past`; see
:mod:`psfkg.build.mementos`), a few indexed look-ups; no old release is loaded into memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from rdflib import Graph, URIRef
from werkzeug.exceptions import NotAcceptable

from .. import formats
from ..errors import ReleaseError
from ..formats import Format
from ..namespaces import INFERRED_GRAPH, rebase
from ..release import RESOURCES, candidates
from . import past, views
from .releases import opened
from .resources import choose, requested, resource_path, turtle
from .service import served_release, service
from .site import label, page, tagged, url
from .statements import Context, incoming, outgoing
from .statements import graph as statements_graph

bp = Blueprint("memento", __name__)
EXTENSION = "psfkg.memento"
LINK_FORMAT = "application/link-format"
#: What a path keeps unencoded: RFC 3986's unreserved and sub-delimiters but ``,`` and ``;``,
#: which separate ``Link`` entries and their parameters, and ``'``.
SAFE = "/:@!$&()*+=-._~"
#: The longest resource path a memento or TimeMap is looked up for, in bytes.
PATH_BYTES = 1000
#: asctime's date (``Sun Nov  6 08:49:37 1994``), the third form of an HTTP-date.
ASCTIME = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}")


@dataclass(frozen=True)
class Version:
    """A release as Memento sees it: its id, when it was built, and its resource index."""

    name: str
    date: datetime
    index: Path

    @property
    def http_date(self) -> str:
        """Its date as an HTTP-date (RFC 7231 IMF-fixdate), as Memento-Datetime carries it."""
        return format_datetime(self.date, usegmt=True)


def _open(path: Path) -> Version | None:
    try:
        published = opened(path)  # checked once per worker, with the releases' own listing
    except (ReleaseError, OSError):
        return None
    index = published.file(RESOURCES)
    date = datetime.fromisoformat(str(published.manifest["date"]).replace("Z", "+00:00"))
    return Version(published.name, date, index) if index is not None else None


def history() -> list[Version]:
    """The releases with a resource index, oldest first. Each is opened (and its checksums
    verified) once per process: a release never changes."""
    known: dict[str, Version | None] = current_app.extensions.setdefault(EXTENSION, {})
    found = []
    for path in candidates(service().settings.releases_dir):
        if path.name not in known:
            known[path.name] = _open(path)
        if (version := known[path.name]) is not None:
            found.append(version)
    return sorted(found, key=lambda v: (v.date, v.name))


def absolute(path: str) -> str:
    """The absolute URL of ``path`` on this site, percent-encoded so that it fits in a header
    and no ``<``, ``>`` or quote of the data can end a ``Link`` entry."""
    return request.host_url.rstrip("/") + url(quote(path, safe=SAFE))


def _too_long(path: str) -> bool:
    return len(path.encode("utf-8")) > PATH_BYTES


def _checked(path: str) -> str:
    if _too_long(path):
        abort(404, f"no resource has a path of more than {PATH_BYTES} bytes")
    return path


def links(path: str, versions: list[Version], chosen: Version | None = None) -> str:
    """The ``Link`` header of a TimeGate or memento answer (RFC 7089 section 2.2): the
    original, the TimeMap, and the first, last and chosen mementos."""
    found = [
        f'<{absolute("/" + path)}>; rel="original timegate"',
        f'<{absolute("/timemap/" + path)}>; rel="timemap"; type="{LINK_FORMAT}"',
    ]
    for i, version in enumerate(versions):
        rel = ["first"] * (i == 0) + ["last"] * (i == len(versions) - 1)
        if version == chosen or rel:
            found.append(
                f"<{absolute(f'/releases/{version.name}/{path}')}>; "
                f'rel="{" ".join([*rel, "memento"])}"; datetime="{version.http_date}"'
            )
    return ", ".join(found)


def timemap_link(path: str) -> str:
    """The ``Link`` entry naming the TimeMap of the resource at ``path``."""
    return f'<{absolute("/timemap/" + path)}>; rel="timemap"; type="{LINK_FORMAT}"'


def accept_datetime() -> datetime | None:
    """The request's ``Accept-Datetime`` (RFC 7089 section 2.1.1), if it has one: an HTTP-date
    in any of its three forms (RFC 9110 section 5.6.7: IMF-fixdate, RFC 850's, and asctime's,
    which is GMT without saying so); a date with another zone is read in that zone.

    :raises BadRequest: for one that is not an HTTP-date.
    """
    value = request.headers.get("Accept-Datetime")
    if value is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None and when.tzinfo is None and ASCTIME.fullmatch(value.strip()):
        when = when.replace(tzinfo=UTC)
    if when is None or when.tzinfo is None:
        abort(
            400,
            f"Accept-Datetime {value[:100]!r} is not an HTTP-date such as "
            "'Tue, 20 Mar 2001 20:35:00 GMT' (RFC 7089 section 2.1.1)",
        )
    return when.astimezone(UTC)


def _versions(stem: str) -> list[Version]:
    iri = service().base + stem
    return [v for v in history() if past.holds(v.index, iri)]


@bp.before_app_request
def timegate() -> ResponseReturnValue | None:
    """A resource asked for with ``Accept-Datetime``: the memento of that time, at its own URL
    (pattern 2.2); one never published goes on to its usual 404."""
    path = requested()
    if path is None or _too_long(path):
        return None  # no release holds it: the resource route answers 404
    when = accept_datetime()
    found = resource_path(path)
    if when is None or found is None:
        return None
    stem, suffix, offers = found
    try:
        fmt = choose(suffix, offers)
    except NotAcceptable:
        return None  # the resource route says what it offers
    versions = _versions(stem)
    if not versions or fmt is formats.TEXT:
        return None
    chosen = next((v for v in reversed(versions) if v.date <= when), versions[0])
    response = memento_response(stem, chosen, versions, fmt)
    response.headers["Content-Location"] = url(quote(f"/releases/{chosen.name}/{stem}", safe=SAFE))
    response.vary.add("Accept-Datetime")
    return response


@bp.after_app_request
def original(response: Response) -> Response:
    """Every answer of a resource names its TimeMap and varies by ``Accept-Datetime``; one only
    earlier releases hold answers 410 Gone instead of 404."""
    path = requested()
    if path is None or "Memento-Datetime" in response.headers or _too_long(path):
        return response  # an abort() here would be a 500: a hook's errors are not handled
    found = resource_path(path)
    if found is None:
        return response
    stem = found[0]
    if response.status_code == 404 and (versions := _versions(stem)):
        response = gone(stem, service().base + stem, versions)  # its Link names the TimeMap
        response.vary.add("Accept-Datetime")
        return response
    if response.status_code >= 400:
        return response  # no TimeMap to name for what is not, and never was, a resource
    response.headers["Link"] = ", ".join(
        h for h in (response.headers.get("Link"), timemap_link(stem)) if h
    )
    response.vary.add("Accept-Datetime")
    return response


def gone(path: str, iri: str, versions: list[Version]) -> Response:
    """410 Gone: the record was published, and is no longer; where it was last."""
    last = versions[-1]
    where = url(f"/releases/{last.name}/{path}")
    # Browsers get a page; every other client (``*/*``, an RDF type) the plain text.
    if request.accept_mimetypes.best_match(["text/plain", "text/html"]) == "text/html":
        response = page(
            "gone.html",
            status=410,
            title="Gone",
            iri=iri,
            last=last,
            memento=where,
            timemap=url(f"/timemap/{path}"),
        )
    else:
        response = Response(
            f"Error 410: {iri} is no longer in the graph; it was last in release {last.name} "
            f"({last.date.isoformat()}), at {absolute(where)}; all its versions: "
            f"{absolute('/timemap/' + path)}\n",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    response.headers["Link"] = links(path, versions, last)
    return response


def memento_response(path: str, chosen: Version, versions: list[Version], fmt: Format) -> Response:
    """The resource at ``path`` as release ``chosen`` held it, in ``fmt``."""
    svc = service()
    iri = svc.base + path
    inferred = rebase(str(INFERRED_GRAPH), svc.base)
    data, context = past.described(chosen.index, iri, psf=str(svc.psf), inferred=inferred)
    if fmt is formats.HTML:
        graph = statements_graph(data)
        response = past_page(URIRef(iri), graph, chosen, path, context)
    elif fmt is formats.TURTLE:
        response = Response(turtle(data, iri), content_type=fmt.content_type)
    elif fmt is formats.N_TRIPLES:
        response = Response(data, content_type=fmt.content_type)
    else:
        graph = statements_graph(data)
        body = graph.serialize(format=fmt.rdflib or "nt", encoding="utf-8")
        response = Response(body, content_type=fmt.content_type)
    response.headers["Memento-Datetime"] = chosen.http_date
    response.headers["Link"] = links(path, versions, chosen)
    response.vary.add("Accept")
    return tagged(response)


def past_page(
    subject: URIRef, graph: Graph, chosen: Version, path: str, context: Context
) -> Response:
    """The HTML page of a past version, under a notice that it is not the current version: a
    record's drawn as its current page is (partners, inferred marks and all), anything else as
    what it said then, each property once with its values and named by its label."""
    notice = {
        "version": chosen,
        "current": url("/" + path),
        "timemap": url(f"/timemap/{path}"),
        "here": f"/releases/{chosen.name}/{path}",
    }
    if path.startswith("id/"):
        return views.resource(subject, graph, context, memento=notice)
    name = label(graph, subject)
    return page(
        "memento.html",
        title=f"{name} (release {chosen.name})",
        name=name,
        iri=str(subject),
        memento=notice,
        rows=outgoing(graph, subject),
        incoming=incoming(graph, subject, context.kinds),
    )


@bp.before_request
def _require_release() -> None:
    served_release()


def _resource(path: str) -> tuple[str, str | None, tuple[Format, ...]]:
    found = resource_path(_checked(path))
    if found is None:
        abort(404, f"/{path[:200]} is no resource IRI of the graph")
    return found


@bp.route("/releases/<name>/<any(id, graph, source):kind>/<path:path>")
@bp.route("/releases/<name>/<any(def, dataset):kind>", defaults={"path": None})
@bp.route("/releases/<name>/<any(def, dataset):kind>.<suffix>", defaults={"path": None})
def memento(
    name: str, kind: str, path: str | None, suffix: str | None = None
) -> ResponseReturnValue:
    """The resource at ``/<kind>/<path>`` as release ``name`` held it."""
    whole = f"{kind}/{path}" if path is not None else kind + (f".{suffix}" if suffix else "")
    stem, suffix, offers = _resource(whole)
    fmt = choose(suffix, tuple(f for f in offers if f is not formats.TEXT))
    versions = _versions(stem)
    chosen = next((v for v in versions if v.name == name), None)
    if chosen is None:
        known = any(v.name == name for v in history())
        iri = service().base + stem
        abort(404, f"release {name} does not hold {iri}" if known else f"no release {name}")
    return memento_response(stem, chosen, versions, fmt)


@bp.route("/timemap/<path:path>")
def timemap(path: str) -> ResponseReturnValue:
    """The TimeMap of the resource at ``/<path>``: every release that holds it."""
    as_json = path.endswith(".json")
    stem = _resource(path[: -len(".json")] if as_json else path)[0]
    iri = service().base + stem
    versions = _versions(stem)
    if not versions:
        abort(404, f"no release holds {iri}")
    if as_json:
        response = jsonify(
            original_uri=absolute("/" + stem),
            timegate_uri=absolute("/" + stem),
            timemap_uri=absolute(f"/timemap/{stem}"),
            mementos=[
                {
                    "datetime": v.date.isoformat().replace("+00:00", "Z"),
                    "release": v.name,
                    "uri": absolute(f"/releases/{v.name}/{stem}"),
                }
                for v in versions
            ],
        )
        return tagged(response)
    entries = [
        f'<{absolute("/" + stem)}>; rel="original timegate"',
        f'<{absolute("/timemap/" + stem)}>; rel="self"; type="{LINK_FORMAT}"; '
        f'from="{versions[0].http_date}"; until="{versions[-1].http_date}"',
        f'<{absolute("/timemap/" + stem + ".json")}>; rel="alternate"; type="application/json"',
    ]
    for i, v in enumerate(versions):
        rel = ["first"] * (i == 0) + ["last"] * (i == len(versions) - 1) + ["memento"]
        entries.append(
            f'<{absolute(f"/releases/{v.name}/{stem}")}>; rel="{" ".join(rel)}"; '
            f'datetime="{v.http_date}"'
        )
    body = ",\n".join(entries) + "\n"
    return tagged(Response(body, content_type=f"{LINK_FORMAT}; charset=utf-8"))
