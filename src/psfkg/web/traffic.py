"""What passes through: a structured log line per request, counters, and a rate limit per client.

Each request is logged as one JSON line (logger ``psfkg.access``): time, client, method, path,
status, milliseconds and, for queries, a hash of the query (never the query itself). ``/-/stats``
reports the server's counters, across its workers (see :mod:`psfkg.web.stats`). A client (by
address) sending more than ``PSFKG_RATE_LIMIT`` requests a minute to the server, whichever
workers answer, gets 429 with ``Retry-After``; loopback clients are exempt unless
``PSFKG_RATE_LIMIT_LOOPBACK`` is set.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import logging
import os
import time

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import protocol
from .meta import error_text, hold
from .service import service
from .service import stats as shared

bp = Blueprint("traffic", __name__)
access = logging.getLogger("psfkg.access")


@functools.lru_cache(maxsize=4096)
def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def limited(client: str) -> bool:
    """Whether ``client`` is held to the rate limit and the fair share: loopback clients are
    not, unless ``PSFKG_RATE_LIMIT_LOOPBACK`` is set."""
    return service().settings.rate_limit_loopback or not _loopback(client)


@bp.before_app_request
def limit_and_time() -> Response | None:
    """Start the clock; refuse a client over its rate."""
    g.started = time.perf_counter()
    svc = service()
    settings = svc.settings
    client = request.remote_addr or "?"
    if settings.rate_limit and limited(client):
        wait = shared().allow(client, settings.rate_limit)
        if wait:
            response = error_text(
                429, f"more than {settings.rate_limit} requests a minute; please slow down"
            )
            return hold(response, max(1, round(wait)))
    return None


@bp.after_app_request
def log_and_count(response: Response) -> Response:
    """One JSON log line per request, and the counters."""
    status = response.status_code
    method, path = request.method, request.path
    query = _query(method, path)
    shared().count(status, query=path == "/sparql" and query is not None)
    now = time.perf_counter()
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "client": request.remote_addr,
        "method": method,
        "path": path,
        "status": status,
        "ms": round((now - g.get("started", now)) * 1000, 2),
        "query": hashlib.sha256(query.encode()).hexdigest()[:16] if query else None,
        "pid": os.getpid(),
    }
    access.info(json.dumps(record))
    return response


def _query(method: str, path: str) -> str | None:
    """The query a request carries, in its URL or in the form it posted to the endpoint; None
    when its body cannot be read (over the size limit, say), which its answer has said."""
    query = request.args.get("query")
    if (
        query is None
        and method == "POST"
        and path == "/sparql"
        and request.mimetype == protocol.FORM
    ):
        try:
            query = request.form.get("query")
        except HTTPException:
            return None
    return query


@bp.route("/-/stats")
def stats() -> Response:
    """The server's counters, across its workers and since it started: requests by status,
    queries, timeouts, queries stopped for want of a long slot (busy), rate limiting,
    evaluations under way (and long); and this worker's query-process restarts."""
    svc = service()
    counters = shared()
    statuses = counters.statuses
    return jsonify(
        {
            "release": svc.release.name if svc.release else None,
            "worker": os.getpid(),
            "uptime_seconds": round(time.time() - counters.started, 1),
            "requests": sum(statuses.values()),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "queries": counters["queries"],
            "timeouts": counters["timeouts"],
            "too_large": counters["too_large"],
            "busy": counters["busy"],
            "query_process_restarts": svc.runner.restarts,
            "rate_limited": counters["limited"],
            "running": counters.running,
            "running_long": counters.running_long,
        }
    )
