"""SPARQL 1.1 Protocol: turn an HTTP request into a query operation, or refuse it.

Queries come by GET (``query=``), by POST form, or by POST ``application/sparql-query``; the
dataset by ``default-graph-uri`` and ``named-graph-uri``. Updates in any form are refused (403):
the endpoint is read-only. Unknown parameters are ignored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import Request
from werkzeug.http import parse_options_header
from werkzeug.sansio.utils import get_current_url

from ..errors import QueryRejected

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
READ_ONLY = "this endpoint is read-only: SPARQL Update is not allowed"


@dataclass(frozen=True)
class Operation:
    """A query request, as the protocol defines it."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format: str | None = None


def base_url(request: Request) -> str:
    """The request's URL without its query (``request.base_url``), remembered: werkzeug builds
    it again on every access."""
    return _url(request.scheme, request.host, request.root_path, request.path)


@functools.lru_cache(maxsize=256)
def _url(scheme: str, host: str, root_path: str, path: str) -> str:
    return get_current_url(scheme, host, root_path, path)


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise QueryRejected(f"more than one {name} parameter")
    return values[0] if values else None


def _text(body: bytes, charset: str | None, max_bytes: int) -> str:
    if len(body) > max_bytes:
        raise QueryRejected(f"the query is longer than {max_bytes} bytes", 413)
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise QueryRejected(f"the query must be UTF-8, not {charset}", 415)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryRejected(f"the query is not UTF-8 (byte {exc.start})") from None


def parse(request: Request, *, max_query_bytes: int) -> Operation:
    """Read the operation a request carries.

    :raises QueryRejected: 400 for malformed requests, 403 for updates, 405 for other methods,
        413 for a query over ``max_query_bytes``, 415 for an unsupported body type.
    """
    method, args = request.method, request.args
    if method not in ("GET", "POST", "HEAD"):
        raise QueryRejected(f"{method} is not allowed: use GET or POST", 405)
    if "update" in args or "using-graph-uri" in args or "using-named-graph-uri" in args:
        raise QueryRejected(READ_ONLY, 403)
    default_graphs = args.getlist("default-graph-uri")
    named_graphs = args.getlist("named-graph-uri")
    if method in ("GET", "HEAD"):
        query = _one(args.getlist("query"), "query")
    else:
        media_type, options = parse_options_header(request.headers.get("Content-Type", ""))
        if media_type == UPDATE:
            raise QueryRejected(READ_ONLY, 403)
        if media_type == FORM:
            form = request.form
            if "update" in form:
                raise QueryRejected(READ_ONLY, 403)
            query = _one(form.getlist("query"), "query")
            if "query" in args:
                raise QueryRejected("the query is in both the URL and the body")
            default_graphs += form.getlist("default-graph-uri")
            named_graphs += form.getlist("named-graph-uri")
        elif media_type == QUERY:
            if "query" in args:
                raise QueryRejected("the query is in both the URL and the body")
            query = _text(request.get_data(cache=False), options.get("charset"), max_query_bytes)
        else:
            shown = media_type or "no Content-Type"
            raise QueryRejected(f"a POST must be {FORM} or {QUERY}, not {shown}", 415)
    if query is not None and len(query.encode("utf-8")) > max_query_bytes:
        raise QueryRejected(f"the query is longer than {max_query_bytes} bytes", 413)
    return Operation(
        query, tuple(default_graphs), tuple(named_graphs), request.values.get("format")
    )
