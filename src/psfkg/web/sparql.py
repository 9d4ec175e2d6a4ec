"""``/sparql``: the SPARQL 1.1 Protocol endpoint, read-only, with its service description.

Every query is screened (size, nesting, SERVICE, ``file:`` IRIs, FROM graphs) and its dataset
decided by :func:`~psfkg.web.asking.prepare` before it is evaluated, under a deadline (see
:mod:`psfkg.query.runner`). Answers carry an ETag tied to the release and the request, so a
repeated request is answered 304 without evaluation. That ETag is weak: it is known before
evaluation, and two evaluations may give the same answer in another order (of rows without
ORDER BY, say).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from .. import formats
from ..errors import NotAcceptable, QueryRejected
from ..query.store import QueryRequest
from . import protocol
from .asking import evaluate, prepare
from .description import OFFERS, describe
from .queries import query_page
from .service import service
from .site import tagged, wants

bp = Blueprint("sparql", __name__)
#: Every format an answer comes in, and a page.
ANSWERS = formats.for_people(
    tuple(dict.fromkeys(f for form in ("SELECT", "CONSTRUCT") for f in formats.for_form(form)))
)


@bp.route("/sparql", methods=["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"])
def endpoint() -> ResponseReturnValue:
    """Answer a query, or describe the service when there is none."""
    svc, method, headers = service(), request.method, request.headers
    if method == "OPTIONS":
        return Response(status=204, headers={"Allow": "GET, POST, HEAD, OPTIONS"})
    operation = protocol.parse(request, max_query_bytes=svc.settings.max_query_bytes)
    if operation.query is None:
        if method == "POST":
            raise QueryRejected("no query: send query= or a body of type application/sparql-query")
        return service_description()
    try:
        screened, query = prepare(
            operation.query,
            "",
            base_iri=protocol.base_url(request),
            default_graphs=operation.default_graphs,
            named_graphs=operation.named_graphs,
        )
    except QueryRejected:
        if _asks_for_a_page(operation):
            return _page(operation)  # which shows why, under the same status
        raise
    chosen = formats.negotiate(
        formats.for_people(formats.for_form(screened.form)), headers.get("Accept"), operation.format
    )
    if chosen is formats.HTML:
        return _page(operation)
    query = replace(query, media_type=chosen.media_type)
    etag = _etag(svc.etag, query)
    response = Response(content_type=chosen.content_type)
    response.set_etag(etag, weak=True)
    if request.if_none_match.contains_weak(etag):
        if method in ("GET", "HEAD"):
            return response.make_conditional(request)
        # RFC 9110 section 13.1.2: any other method is not performed, and answers 412.
        raise QueryRejected("If-None-Match matches this answer; a POST is not answered 304", 412)
    fresh = {"no-cache", "no-store"} & {
        d.strip().lower() for d in headers.get("Cache-Control", "").split(",")
    }
    # Kept answers also depend on the base that relative IRIs resolve against; the ETag does
    # not, so that replicas behind one name give the same ETags.
    kept = f"{etag}\x00{query.base_iri}"
    answer = None if fresh else svc.answers.get(kept)
    if answer is None:
        answer = evaluate(query)
        svc.answers.put(kept, answer)
    else:
        response.headers["X-PSFKG-Cache"] = "hit"
    response.set_data(answer.body)  # a HEAD's body is dropped; its Content-Length is the GET's
    response.headers["X-PSFKG-Rows"] = str(answer.rows)
    if answer.truncated:
        response.headers["X-PSFKG-Truncated"] = (
            f"true; the answer stops at the row cap of {query.row_cap}"
        )
    return response


def _etag(release: str, query: QueryRequest) -> str:
    """The answer's ETag: the release, the query, the dataset and the format."""
    key = "\x00".join(
        [release, query.query, query.media_type, *query.default_graphs, "|", *query.named_graphs]
    )
    return f"{release}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def _asks_for_a_page(operation: protocol.Operation) -> bool:
    """Whether the request would get a page whatever form its query has (asked before the query
    is known to be well formed)."""
    try:
        return formats.negotiate(ANSWERS, request.headers.get("Accept"), operation.format) is (
            formats.HTML
        )
    except NotAcceptable:
        return False


def _page(operation: protocol.Operation) -> Response:
    """What a browser gets at ``/sparql``: the query page, with the results of its query."""
    response = query_page(
        operation.query or "",
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
    )
    response.vary.add("Accept")
    return response


def service_description() -> ResponseReturnValue:
    """The service description, as Turtle, JSON-LD or RDF/XML by ``Accept``; a browser gets the
    query page."""
    svc = service()
    chosen = wants(formats.for_people(OFFERS))
    if chosen is formats.HTML:
        return _page(protocol.Operation(None))
    counts: dict[str, int | None] = {g: None for g in svc.store.named_graphs()}
    if svc.release is not None:
        counts.update({g: n for g, n in svc.release.manifest["triples"].items() if g in counts})
    graph = describe(
        protocol.base_url(request), counts, svc.triples, owl_rl=svc.release is not None
    )
    return tagged(Response(formats.write_graph(graph, chosen), content_type=chosen.content_type))
