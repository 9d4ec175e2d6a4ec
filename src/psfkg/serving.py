"""Serve the app: psfkg's front (:mod:`psfkg.front`) before gunicorn's workers.

``psfkg serve`` forks. The parent is the front, which holds the clients' connections. The child
is gunicorn's master, which loads the app and forks the workers. The workers listen on a unix
socket in a private folder, which only the front reaches. With ``preload_app`` the store is loaded
before the workers fork, so they share its memory. Each worker evaluates short queries itself,
under a watchdog, and forks its own query process for the first longer one (see
:mod:`psfkg.query.runner`).

Releases are switched by the master (:class:`SwitchingArbiter`), never by a worker inside a
request: the master loads the new release once, drops the old one, and replaces the workers
with ones forked from it, so the one store is shared again and a worker started later, to
replace one that was killed, serves at once.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.http.errors import NoMoreData, ParseException
from gunicorn.util import close_on_exec
from gunicorn.workers.sync import SyncWorker

from . import front
from .config import Settings
from .errors import PsfkgError, QueryTimeout, QueryTooLarge
from .query import runner
from .query.runner import die_with_parent
from .query.watchdog import Watchdog
from .web.meta import error_text, stopped_answer
from .web.service import EXTENSION, Releases

log = logging.getLogger(__name__)

#: Seconds gunicorn gives a worker beyond the query timeout before it counts it as hung.
WORKER_GRACE = front.WORKER_GRACE
#: The WSGI name of the front's header with the client's address.
PEER = "HTTP_" + front.PEER_HEADER.decode().upper().replace("-", "_")


class ClientTimeoutWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, with a timeout on each client socket and a query watchdog.

    The sync worker reads a request with blocking calls: a client that opens a connection and then
    sends slowly, or nothing, would hold the worker until the arbiter kills it. With a timeout, a
    client that stays silent that long is dropped and the worker serves the next.

    The worker evaluates short queries itself, under a :class:`~psfkg.runner.Watchdog`: when one
    passes its deadline or takes more than its memory, the app's own 503 is written on the
    request's connection and the worker ends; gunicorn starts another. After a long query
    (reniced) the worker ends once it has answered.
    """

    client_timeout: float = 10.0

    def init_process(self) -> None:
        """In the new worker: install the watchdog (given the stack it needs), then serve."""
        self.environ: dict[str, Any] | None = None
        stack, _ = resource.getrlimit(resource.RLIMIT_STACK)
        if stack == resource.RLIM_INFINITY or stack >= runner.INLINE_STACK_BYTES:
            runner.watchdog = Watchdog(self.give_up, self.retire)
        super().init_process()

    def load_wsgi(self) -> None:
        """Load the app, and keep each request's environ while it is served. The client's
        address is the one the front passes on (only the front reaches the workers' socket)."""
        super().load_wsgi()
        self.flask: Flask = self.wsgi  # type: ignore[has-type]
        app = self.flask

        def remember(environ: dict[str, Any], start_response: Any) -> Any:
            environ["REMOTE_ADDR"] = environ.pop(PEER, "")
            self.environ = environ
            return app(environ, start_response)

        self.wsgi = remember

    def accept(self, listener: Any) -> None:
        """Accept a connection and serve it, dropping the client if it falls silent."""
        client, address = listener.accept()
        client.settimeout(self.client_timeout)
        close_on_exec(client)
        try:
            self.handle(listener, client, address)
        finally:
            self.environ = None

    def give_up(self, error: QueryTimeout | QueryTooLarge, elapsed: float) -> None:
        """Answer the current request's stopped query (its deadline passed, or it took more
        memory than it is given) 503, as the app would, and close."""
        environ = self.environ
        if environ is None:
            return
        log.warning("%s: worker %d ends", error, os.getpid())
        response = stopped_answer(self.flask, environ, error, elapsed)
        head = f"HTTP/1.1 {response.status}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in response.headers.items()
        )
        body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.data
        client = environ["gunicorn.socket"]
        client.sendall(f"{head}Connection: close\r\n\r\n".encode("latin-1") + body)
        client.shutdown(socket.SHUT_WR)

    def retire(self) -> None:
        """End this worker once the current request is answered."""
        self.alive = False


class SwitchingArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, which also switches release when ``latest`` moves.

    Each round of its loop (about once a second, when no signal wakes it sooner), before it
    keeps the number of workers, the master asks :meth:`Releases.switch
    <psfkg.web.service.Releases.switch>` to look at ``latest``. A good new release is loaded
    here, outside any request; the old one is dropped and its memory given back to the system
    before the master forks a new set of workers; the old workers are then stopped gracefully
    (each finishes the request it is answering, then exits), as gunicorn does on a reload. A
    release refused is reported by every worker, through the shared :class:`~psfkg.web.stats.Stats`.

    The loop, not a thread, does this: forking workers while another thread of the master runs
    could leave a lock held in the child.

    Memory: the old workers hold the old store until they exit, so while a release loads the
    server holds two stores; and freeing the old one in the master copies the pages it still
    shares with the old workers (glibc writes into each chunk it frees), for the second before
    they are given back. ``tests/test_serving.py`` measures it at 100x.
    """

    def __init__(self, app: Server) -> None:
        super().__init__(app)
        #: None for an app that is not psfkg's (the benchmark's hello world): nothing to switch.
        self.releases: Releases | None = app.app.extensions.get(EXTENSION)
        if self.releases is not None:
            self.releases.inline = False  # inherited by every worker: they never look at `latest`

    def manage_workers(self) -> None:
        """Switch release if ``latest`` moved (then replace every worker), then keep the
        number of workers as gunicorn does."""
        if self.releases is not None and self.releases.switch():
            give_back_memory()
            for _ in range(self.num_workers):
                self.spawn_worker()
        super().manage_workers()  # stops the oldest workers beyond their number


def give_back_memory() -> None:
    """Free what the old release held, and give the freed pages back to the system, so that
    workers forked next do not share a heap still the size of two stores (glibc keeps freed
    memory mapped until ``malloc_trim``)."""
    gc.collect()
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; other C libraries lack it
    if trim is not None:
        trim(0)


class Server(BaseApplication):  # type: ignore[misc]
    """A gunicorn application around an already-built Flask app, run by a
    :class:`SwitchingArbiter`."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.app, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        """Hand the options to gunicorn."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The WSGI app."""
        return self.app

    def run(self) -> None:
        """Serve until stopped (as gunicorn's own ``run``, with psfkg's arbiter)."""
        try:
            SwitchingArbiter(self).run()
        except RuntimeError as exc:
            sys.exit(f"\nError: {exc}\n")


def options(settings: Settings, socket_path: str) -> dict[str, Any]:
    """gunicorn's options from psfkg's settings, its workers listening at ``socket_path``."""
    return {
        "bind": f"unix:{socket_path}",
        "workers": settings.workers,
        "worker_class": "psfkg.serving.ClientTimeoutWorker",
        "preload_app": True,
        "timeout": int(settings.query_timeout) + WORKER_GRACE,
        "graceful_timeout": 10,
        "limit_request_line": front.LINE_BYTES,
        "limit_request_fields": front.FIELDS,
        "limit_request_field_size": front.LINE_BYTES,
        # Forwarded headers are psfkg's to judge (PSFKG_TRUSTED_PROXIES, web/hosts.py): gunicorn
        # would otherwise take X-Forwarded-Proto from any loopback client.
        "secure_scheme_headers": {},
        "forwarded_allow_ips": "",
        # gunicorn's control socket is one path for every server of a user; psfkg needs none.
        "control_socket_disable": True,
    }


def unreadable_body(error: Exception) -> Response:
    """400: the request body breaks HTTP/1.1's framing (a bad chunk size, or it ends early);
    gunicorn says so only when the app reads the body."""
    return error_text(400, f"the request body cannot be read: {error}")


def serve(make_app: Callable[[], Flask], settings: Settings) -> int:
    """Run the front and, in a child, gunicorn, until either is stopped; give the exit status.

    The app is made in the child only, so the front never holds a release's store.
    """
    folder = tempfile.mkdtemp(prefix="psfkg-")  # mode 0700: only this user reaches the socket
    socket_path = os.path.join(folder, "workers.sock")
    try:
        master = os.fork()
        if master == 0:
            os._exit(_in_child(make_app, settings, socket_path))
        roots = [settings.releases_dir, Path(__file__).parent / "web" / "static"]
        return front.run(settings, socket_path, roots, master)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_child(make_app: Callable[[], Flask], settings: Settings, socket_path: str) -> int:
    """Run gunicorn in the child, and give the exit status of whichever process ends here: the
    master, or one of the workers it forks (which end by ``SystemExit``). Nothing of theirs may
    unwind into :func:`serve`, which would remove the workers' socket."""
    try:
        return _workers(make_app, settings, socket_path)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        traceback.print_exc()
        return 1


def _workers(make_app: Callable[[], Flask], settings: Settings, socket_path: str) -> int:
    """In the child: make the app and run gunicorn, ending with the front."""
    parent = os.getppid()
    die_with_parent(parent, signal.SIGTERM)
    try:
        app = make_app()
    except PsfkgError as exc:  # the front ends with the server's exit status
        print(f"psfkg: {exc}", file=sys.stderr)
        return 1
    app.config["USE_X_SENDFILE"] = True  # the front sends the release's files itself
    app.register_error_handler(ParseException, unreadable_body)
    app.register_error_handler(NoMoreData, unreadable_body)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    psfkg_log = logging.getLogger("psfkg")
    psfkg_log.setLevel(logging.INFO)
    psfkg_log.addHandler(handler)
    # The logging docs' own optimisation: psfkg's log lines never show where they were logged from,
    # so the frame lookup each record would cost is skipped.
    logging._srcfile = None
    ClientTimeoutWorker.client_timeout = settings.client_timeout
    Server(app, options(settings, socket_path)).run()
    return 0
