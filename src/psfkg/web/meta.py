"""Metadata under the reserved ``/-/`` prefix, the headers every answer carries, and errors.

Errors are short plain text: never a stack trace or a file path. 406 lists what is offered; 503
says to retry after a while.
"""

from __future__ import annotations

import functools
import logging
import time
from importlib.metadata import version
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import __version__
from ..errors import (
    LongQueriesBusy,
    NotAcceptable,
    QueryRejected,
    QueryTimeout,
    QueryTooLarge,
    StoreUnavailable,
)
from .service import releases, service, stats

bp = Blueprint("meta", __name__)
#: Response headers a script in a browser may read.
EXPOSED = (
    "ETag, Content-Disposition, Content-Location, Link, Retry-After, X-PSFKG-Rows, "
    "X-PSFKG-Truncated"
)
log = logging.getLogger("psfkg.web")


@bp.route("/-/health")
def health() -> Response:
    """Whether the service is up, what it serves, and any problem with a release it refused."""
    svc, holder = service(), releases()
    problem = holder.problem
    if problem is None and stats().killing():
        problem = (
            "queries were stopped in the last minute: at their deadline, for their memory, or "
            "for want of a long slot"
        )
    return jsonify(
        {
            "status": "degraded" if problem else "ok",
            "problem": problem,
            "version": __version__,
            "release": svc.release.name if svc.release else None,
            "triples": svc.triples,
            "uptime_seconds": round(time.time() - holder.started, 1),
            "query_process_restarts": svc.runner.restarts,
            "timeouts": stats()["timeouts"],
        }
    )


@bp.route("/-/versions")
def versions() -> Response:
    """psfkg's version; with ``PSFKG_SHOW_VERSIONS``, those of the libraries that answer queries
    too (exact versions tell an attacker which known flaws to try)."""
    found = _versions()
    if service().settings.show_versions:
        return jsonify(found)
    return jsonify({"psfkg": found["psfkg"]})


@functools.cache
def _versions() -> dict[str, str]:
    libraries = ("pyoxigraph", "rdflib", "pyshacl", "owlrl", "flask", "gunicorn")
    return {"psfkg": __version__, **{name: version(name) for name in libraries}}


def hold(response: Response, seconds: int) -> Response:
    """Tell the client to retry in ``seconds`` (``Retry-After``), and ask psfkg's front to
    refuse it meanwhile (``X-PSFKG-Hold``, which the front takes off): for a client that sends
    too much, not for one whose query merely failed."""
    response.headers["Retry-After"] = response.headers["X-PSFKG-Hold"] = str(seconds)
    return response


def error_text(status: int, message: str) -> Response:
    """An error answer: ``Error <status>: <message>`` as plain text."""
    return Response(
        f"Error {status}: {message}\n", status=status, content_type="text/plain; charset=utf-8"
    )


@bp.app_errorhandler(QueryRejected)
def rejected(error: QueryRejected) -> Response:
    """A 4xx the endpoint chose, with its reason."""
    response = error_text(error.status, str(error))
    if isinstance(error, NotAcceptable):
        response.headers["Vary"] = "Accept"
    if error.status == 405:
        response.headers["Allow"] = "GET, POST, HEAD"
    if error.status == 429:
        hold(response, 1)
    return response


@bp.app_errorhandler(QueryTimeout)
def timed_out(error: QueryTimeout) -> Response:
    """503: the query was stopped at its deadline, or when it turned long with no long slot
    free for it."""
    busy = isinstance(error, LongQueriesBusy)
    stats().stopped("busy" if busy else "timeouts")
    response = error_text(503, str(error))
    response.headers["Retry-After"] = "10"
    if busy:  # a runaway sent when the long slots are taken: its client waits, as told
        hold(response, 10)
    return response


@bp.app_errorhandler(QueryTooLarge)
def too_large(error: QueryTooLarge) -> Response:
    """503: the query took more memory than one query is given, and was stopped."""
    stats().stopped("too_large")
    return error_text(503, str(error))


def stopped_answer(
    app: Flask, environ: dict[str, Any], error: QueryTimeout | QueryTooLarge, elapsed: float
) -> Response:
    """The answer the app gives the request of ``environ`` for a query stopped with ``error``
    (:func:`timed_out`, :func:`too_large`), with every after-request hook run (CORS, caching,
    the access log): for a server that must answer from outside the request, while the thread
    serving it is still held by the query."""
    with app.request_context(environ):
        stats().end()  # this process's evaluation is over before the client hears so
        g.started = time.perf_counter() - elapsed
        answer = timed_out(error) if isinstance(error, QueryTimeout) else too_large(error)
        return app.process_response(answer)


@bp.app_errorhandler(StoreUnavailable)
def unavailable(error: StoreUnavailable) -> Response:
    """503: the store could not answer; it is coming back."""
    log.warning("store unavailable: %s", error)
    response = error_text(503, "the store could not answer this time; please retry")
    response.headers["Retry-After"] = "1"
    return response


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413...) as short plain text."""
    message = error.description or error.name
    if isinstance(error, RequestEntityTooLarge):
        message = f"the request body is larger than {service().settings.max_body_bytes} bytes"
    response = error_text(error.code or 500, message)
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


@bp.app_errorhandler(Exception)
def internal_error(error: Exception) -> Response:
    """Anything else: logged in full, answered with no detail."""
    log.exception("internal error")
    return error_text(500, "internal error")


#: The browser's protections on every answer: no sniffing a type other than the one sent, no
#: framing, no referrer leaked to other sites, and on pages only the site's own scripts and styles
#: (psfkg writes no inline script or style; JSON-LD blocks are data, never run).
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}


@bp.after_app_request
def common_headers(response: Response) -> Response:
    """CORS for every origin (no credentials), caching tied to the release's ETag, and the
    browser's protections (:data:`SECURITY`)."""
    headers, failed = response.headers, response.status_code >= 400
    for name, value in SECURITY.items():
        headers.setdefault(name, value)  # a page may set its own policy (the query page does)
    if "frame-ancestors *" in headers["Content-Security-Policy"]:
        headers.remove("X-Frame-Options")  # a page made to be framed (reconciliation previews)
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    if failed:
        headers["Cache-Control"] = "no-store"
    elif "Cache-Control" not in headers:
        headers["Cache-Control"] = "public, max-age=300, must-revalidate"
    if not failed or response.mimetype != "text/plain":
        vary = headers.get("Vary")
        if not vary:
            headers["Vary"] = "Accept"
        elif "accept" not in (v.strip().lower() for v in vary.split(",")):
            headers["Vary"] = f"{vary}, Accept"
    return response
