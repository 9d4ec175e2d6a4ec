"""Evaluate queries where they can be stopped: in a child process, killed at the deadline.

Neither a Python thread nor a pyoxigraph evaluation can be interrupted from Python, so each web
worker keeps query children, forked from it with the store already in memory (copy-on-write).
A child reads a request from its pipe, answers, and waits for the next. When a query passes its
deadline the child is sent SIGKILL, its CPU is freed at once, and a fresh child is forked for the
next query. The web worker itself never evaluates, so forking never copies a held lock.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from .errors import QueryRejected, QueryTimeout, StoreUnavailable
from .store import Answer, QueryRequest

Evaluate = Callable[[QueryRequest], Answer]
#: Signals a child dies of when the parser or evaluator runs out of stack.
CRASH_SIGNALS = {-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS}


def _child_loop(conn: Connection, evaluate: Evaluate) -> None:
    # A crash here is answered with a 400; a Python dump in the log would only add noise.
    faulthandler.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, object] = ("ok", evaluate(request))
        except QueryRejected as exc:
            reply = ("rejected", (str(exc), exc.status))
        except Exception as exc:  # the message goes to the log, never to the client
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


class Child:
    """One query child and the parent's end of its pipe."""

    def __init__(self, evaluate: Evaluate) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_child_loop, args=(child_end, evaluate), daemon=True, name="psfkg-query"
        )
        self.process.start()
        child_end.close()
        self.owner = os.getpid()

    def run(self, request: QueryRequest, timeout: float) -> Answer:
        """Send a request and wait for the answer at most ``timeout`` seconds.

        :raises QueryTimeout: the deadline passed; the child has been killed.
        :raises StoreUnavailable: the child died (it was killed, or crashed).
        :raises QueryRejected: the store refused the query (syntax error...).
        """
        try:
            self.conn.send(request)
            ready = self.conn.poll(timeout)
        except (OSError, EOFError):
            ready = True  # the child is gone; recv below says so
        if not ready:
            self.kill()
            raise QueryTimeout(f"query timed out after {timeout:g} s")
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            if self.process.exitcode in CRASH_SIGNALS:
                raise QueryRejected(
                    "the query is too complex to evaluate (nested too deeply)"
                ) from None
            raise StoreUnavailable("the query worker stopped; please retry") from None
        if kind == "ok":
            assert isinstance(payload, Answer)
            return payload
        if kind == "rejected":
            message, status = payload
            raise QueryRejected(message, status)
        raise StoreUnavailable(f"the store failed to answer ({payload})")

    @property
    def alive(self) -> bool:
        """Whether the child is running and belongs to this process."""
        return self.owner == os.getpid() and self.process.is_alive()

    def kill(self) -> None:
        """Stop the child at once and reap it."""
        if self.owner == os.getpid() and self.process.is_alive():
            self.process.kill()
        if self.owner == os.getpid():
            self.process.join(timeout=5)
        self.conn.close()


class QueryRunner:
    """A pool of query children for one web worker; threads each take their own child."""

    def __init__(self, evaluate: Evaluate, *, timeout: float) -> None:
        self.evaluate = evaluate
        self.timeout = timeout
        self._idle: list[Child] = []
        self._lock = threading.Lock()
        self.restarts = 0

    def run(self, request: QueryRequest) -> Answer:
        """Answer a request in a child, within the timeout (see :meth:`Child.run`)."""
        child = self._take()
        try:
            answer = child.run(request, self.timeout)
        except (QueryTimeout, StoreUnavailable):
            with self._lock:
                self.restarts += 1
            raise
        except QueryRejected:
            if child.alive:
                self._give_back(child)
            raise
        self._give_back(child)
        return answer

    def _take(self) -> Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive:
                    return child
        return Child(self.evaluate)

    def _give_back(self, child: Child) -> None:
        with self._lock:
            self._idle.append(child)

    def close(self) -> None:
        """Stop every idle child."""
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()
