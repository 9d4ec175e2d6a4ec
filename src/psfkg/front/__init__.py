"""The front: psfkg's own HTTP/1.1 server before gunicorn's workers, so slow clients cost nothing.

A sync gunicorn worker reads a request and writes its answer with blocking calls, so a client that
sends or reads slowly holds one of a few workers. The front takes that part over. It is one asyncio
process that holds every client connection and parses HTTP with h11.

1. It reads a whole request within a total deadline (``PSFKG_REQUEST_DEADLINE``).
2. It hands the request to a worker over a private unix socket, with the client's address.
3. It takes the whole answer, in memory or, past :data:`SPOOL_BYTES`, in a temporary file. The
   worker is then free for the next request.
4. It writes the answer at the client's pace. A file the app answers with ``X-Sendfile`` (a dump
   of the release) is sent from disk by the kernel (``sendfile``), however large and slow the
   reader is.

Requests wait for a worker in a queue per client, taken in turn (:class:`Gate`). One client's
many requests then do not delay the others'. Nothing here evaluates a query or knows the app.
nginx does the same in production (``deploy/nginx.conf``). The front is written here because no
well-kept Python WSGI server both buffers like this and runs preforked workers that can be killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from .messages import FIELDS, LINE_BYTES, PEER_HEADER
from .server import WORKER_GRACE, Front

__all__ = ["FIELDS", "LINE_BYTES", "PEER_HEADER", "WORKER_GRACE", "Front", "run", "serve"]


async def serve(
    settings: Settings, upstream: str, roots: Sequence[Path], stop: asyncio.Event
) -> None:
    """Listen on the settings' host and port until ``stop`` is set."""
    front = Front(settings, upstream, roots)
    server = await asyncio.start_server(
        front.connection, settings.host, settings.port, reuse_address=True, backlog=1024
    )
    async with server:
        await stop.wait()


def run(settings: Settings, upstream: str, roots: Sequence[Path], workers: int) -> int:
    """Run the front until SIGTERM or SIGINT, or until the gunicorn master ``workers`` ends;
    stop the master in turn, and give its exit status."""
    # Each client holds a file descriptor while it is served: as many as the system allows.
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    if most != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)

    def watch() -> None:
        done, status = os.waitpid(workers, os.WNOHANG)
        if done:
            watched.append(os.waitstatus_to_exitcode(status))
            stop.set()
        else:
            loop.call_later(0.2, watch)

    watched: list[int] = []
    loop.call_soon(watch)
    try:
        loop.run_until_complete(serve(settings, upstream, roots, stop))
    finally:
        loop.close()
    if watched:
        return watched[0]
    with contextlib.suppress(ProcessLookupError):
        os.kill(workers, signal.SIGTERM)
    _, status = os.waitpid(workers, 0)
    return os.waitstatus_to_exitcode(status)
