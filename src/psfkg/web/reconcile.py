"""The reconciliation service (W3C Reconciliation Service API 0.2), at ``/reconcile``.

``GET /reconcile`` is the service manifest; ``queries=`` (a GET parameter, or a POST form field)
a batch of reconciliation queries, ``extend=`` a data extension query. Beside it are the
suggest services (``/reconcile/suggest/entity``, ``/type``, ``/property``: ``prefix=`` and
``cursor=``), previews (``/reconcile/preview?id=``, a small HTML page made to be framed) and
property proposals (``/reconcile/properties?type=``). Every answer allows every origin (CORS,
as 0.2 requires, set for the whole site by :mod:`psfkg.web.meta`); a GET with ``callback=``
is answered as JSONP. Bad input gets a JSON error naming the field: 400, or 413 for a batch
past ``PSFKG_RECONCILE_BATCH``. The matching is :mod:`psfkg.reconciliation`'s; the manifest's
URLs are under the URL the site is served at, its identifier space under the release's base.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .. import __version__, formats, reconciliation_queries
from ..errors import QueryRejected
from ..index import CANDIDATES, words
from ..reconciliation import FACTS, PROPERTIES, TYPES, Candidate, Facts, Reconciler, Space
from .asking import select
from .search import absolute, search_index
from .service import service

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")
#: What a JSONP ``callback`` may be: a JavaScript name, dotted, nothing that could run.
CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,3}")
#: Suggestions per answer; the preview's frame, in pixels.
SUGGESTIONS, PREVIEW = 10, (400, 120)
#: What the preview may do: its own inline style, nothing else; any page may frame it.
PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors *"


def reconciler() -> Reconciler:
    """The reconciler of the release being served, made once per worker."""
    svc = service()
    found: Reconciler | None = svc.cache.get("reconciler")
    if found is None:
        _, rows = select(FACTS, own=True)
        facts = Facts(({k: v.text for k, v in row.items()} for row in rows), svc.base)
        found = svc.cache["reconciler"] = Reconciler(search_index(), facts, svc.base)
    return found


def answer(body: Any, status: int = 200) -> Response:
    """JSON, or JSONP for a GET with a ``callback``."""
    text = json.dumps(body, ensure_ascii=False)
    callback = request.args.get("callback", "") if request.method == "GET" else ""
    if callback and CALLBACK.fullmatch(callback):
        return Response(f"/**/{callback}({text});", status, content_type=formats.JSONP.content_type)
    return Response(text, status, content_type=formats.JSON.content_type)


@bp.errorhandler(QueryRejected)
def refused(error: QueryRejected) -> Response:
    """A refusal, as JSON: ``{"status", "error"}``."""
    return answer({"status": error.status, "error": str(error)}, error.status)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Werkzeug's errors (404, 413...), as JSON too."""
    code = error.code or 500
    return answer({"status": code, "error": error.description or error.name}, code)


def parameter(name: str) -> str | None:
    """A parameter: from the form of a POST, else from the URL."""
    if request.method == "POST" and name in request.form:
        return request.form[name]
    return request.args.get(name)


@bp.route("", methods=["GET", "POST"])
def endpoint() -> ResponseReturnValue:
    """The manifest; or a batch's results (``queries``); or a data extension (``extend``)."""
    callback = request.args.get("callback")
    if callback is not None and not CALLBACK.fullmatch(callback):
        raise QueryRejected("callback must be a JavaScript name (letters, digits, _ $ and .)")
    queries, extend = parameter("queries"), parameter("extend")
    if queries is not None and extend is not None:
        raise QueryRejected("send queries or extend, not both")
    settings = service().settings
    if queries is not None:
        batch = reconciliation_queries.batch(
            queries, most=settings.reconcile_batch, most_limit=settings.reconcile_limit
        )
        found = reconciler()
        return answer(
            {k: {"result": [candidate(c) for c in found.reconcile(q)]} for k, q in batch.items()}
        )
    if extend is not None:
        ids, properties = reconciliation_queries.extension(extend, most=settings.reconcile_batch)
        return answer(extension(ids, properties))
    return answer(manifest())


def manifest() -> dict[str, Any]:
    """The service manifest: what the service offers, and where."""
    site, space = request.url_root, Space(service().base)
    services = request.url_root.rstrip("/")

    def at(path: str) -> dict[str, str]:
        return {"service_url": services, "service_path": f"/reconcile/{path}"}

    return {
        "versions": ["0.2"],
        "name": "psfkg: the CBSS Project Support Facility's projects and organisations",
        "identifierSpace": space.identifiers,
        "schemaSpace": space.schema,
        "documentation": site,
        "serviceVersion": __version__,
        "batchSize": service().settings.reconcile_batch,
        "defaultTypes": types(),
        "view": {"url": site + "id/{{id}}"},
        "preview": {
            "url": site + "reconcile/preview?id={{id}}",
            "width": PREVIEW[0],
            "height": PREVIEW[1],
        },
        "suggest": {kind: at(f"suggest/{kind}") for kind in ("entity", "type", "property")},
        "extend": {"propose_properties": at("properties"), "property_settings": []},
    }


def types(prefix: str = "") -> list[dict[str, str]]:
    """The types whose id or name has words starting with those of ``prefix``."""
    return [{"id": k, "name": v} for k, v in TYPES.items() if starts(prefix, f"{v} {k}")]


def starts(prefix: str, text: str) -> bool:
    """Whether each word of ``prefix`` starts a word of ``text`` (folded)."""
    have = words(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text))
    return all(any(w.startswith(p) for w in have) for p in words(prefix))


def candidate(found: Candidate) -> dict[str, Any]:
    """A candidate as the result batch gives it."""
    return {
        "id": reconciler().space.entity_id(found.iri),
        "name": found.name,
        "description": found.description,
        "score": found.score,
        "features": [{"id": k, "value": v} for k, v in found.features.items()],
        "match": found.match,
        "type": [{"id": found.type, "name": TYPES[found.type]}],
    }


def extension(ids: list[str], properties: list[str]) -> dict[str, Any]:
    """A data extension response: each property's name and type, and each entity's values."""
    found, meta = reconciler(), []
    for pid in properties:
        prop = next((p for p in PROPERTIES if p.id == found.space.term(pid)), None)
        described: dict[str, Any] = {"id": pid, "name": prop.name if prop else pid}
        if prop is not None and prop.range is not None:
            described["type"] = {"id": prop.range, "name": TYPES[prop.range]}
        meta.append(described)
    return {"meta": meta, "rows": found.extend(ids, properties)}


def cursor() -> int:
    """The suggestions to skip: a whole number up to what the index ranks."""
    given = request.args.get("cursor", "0").strip() or "0"
    if not given.isdigit() or int(given) > CANDIDATES:
        raise QueryRejected(
            f"cursor must be a whole number from 0 to {CANDIDATES}, not {given[:40]!r}"
        )
    return int(given)


@bp.route("/suggest/entity")
def suggest_entity() -> ResponseReturnValue:
    """Entities whose names start with ``prefix`` (of ``type``, when given), as one types."""
    skip, found = cursor(), reconciler()
    wanted = [t for t in (found.space.term(request.args.get("type", "")),) if t in TYPES] or list(
        TYPES
    )
    hits = found.index.search(
        request.args.get("prefix", ""), limit=min(skip + 3 * SUGGESTIONS, CANDIDATES), prefix=True
    ).hits
    entities = [found.facts.entities[h.iri] for h in hits if h.iri in found.facts.entities]
    result = [
        {
            "id": found.space.entity_id(e.iri),
            "name": e.label,
            "description": found.facts.description(e),
            "notable": [{"id": e.type, "name": TYPES[e.type]}],
        }
        for e in entities
        if e.type in wanted
    ]
    return answer({"result": result[skip : skip + SUGGESTIONS]})


@bp.route("/suggest/type")
def suggest_type() -> ResponseReturnValue:
    """The types whose names start with ``prefix``."""
    skip = cursor()
    return answer({"result": types(request.args.get("prefix", ""))[skip : skip + SUGGESTIONS]})


@bp.route("/suggest/property")
def suggest_property() -> ResponseReturnValue:
    """The properties whose names start with ``prefix`` (of ``type``, when given)."""
    skip, kind = cursor(), Space(service().base).term(request.args.get("type", ""))
    result = [
        {"id": p.id, "name": p.name, "description": p.description}
        for p in PROPERTIES
        if starts(request.args.get("prefix", ""), f"{p.name} {p.id}")
        and (kind not in TYPES or kind in p.domain)
    ]
    return answer({"result": result[skip : skip + SUGGESTIONS]})


@bp.route("/properties")
def propose() -> ResponseReturnValue:
    """The properties data extension offers for a ``type`` (at most ``limit``)."""
    given = request.args.get("type")
    if not given:
        raise QueryRejected("type is required: the id of a type, such as Organisation")
    kind = Space(service().base).term(given)
    limit_text = request.args.get("limit", "").strip()
    if limit_text and not (limit_text.isdigit() and 1 <= int(limit_text) <= len(PROPERTIES) * 10):
        raise QueryRejected(f"limit must be a whole number from 1, not {limit_text[:40]!r}")
    proposed = [
        {"id": p.id, "name": p.name, "description": p.description}
        for p in PROPERTIES
        if kind in p.domain
    ]
    body: dict[str, Any] = {
        "type": given,
        "properties": proposed[: int(limit_text)] if limit_text else proposed,
    }
    if limit_text:
        body["limit"] = int(limit_text)
    return answer(body)


@bp.route("/preview")
def preview() -> ResponseReturnValue:
    """A small HTML page about an entity (``id``), made to fit the manifest's frame."""
    found = reconciler()
    entity = found.facts.entities.get(found.space.entity_iri(request.args.get("id", "")))
    if entity is None:
        raise QueryRejected("id names no organisation, project, country or priority area", 404)
    related = {
        p.name: sorted(found.facts.label(v) for v in entity.values.get(p.id, ()))
        for p in PROPERTIES
        if p.range is not None and p.id != "country"
    }
    html = render_template(
        "reconcile_preview.html",
        entity=entity,
        description=found.facts.description(entity),
        related={k: v for k, v in related.items() if v},
        page=absolute(entity.iri),
        size=PREVIEW,
    )
    response = Response(html, content_type=formats.HTML.content_type)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response
