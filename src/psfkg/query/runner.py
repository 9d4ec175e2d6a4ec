"""Evaluate queries where they can be stopped: in a process that is killed at the deadline.

Neither a Python thread nor a pyoxigraph evaluation can be interrupted from Python, so each web
worker keeps query children, forked from it with the store already in memory (copy-on-write).
A child reads a request from its pipe, answers, and waits for the next. When a query passes its
deadline the child is sent SIGKILL, its CPU is freed at once, and a fresh child is forked for the
next query. A worker forks only between evaluations, so a child never inherits a held store lock.

A child keeps nothing of its parent but the store: it closes every other file descriptor (the
listening socket, other children's pipes), restores the default signal handlers, and asks the
kernel to kill it if its parent dies, so a killed web worker leaves no child behind.

Under gunicorn (:mod:`psfkg.serving`) a web worker may also evaluate a short query itself, and so
save the trip to a child: the two context switches that trip costs are a fifth of a cheap query's
cost. There the worker is what gets killed: a :class:`Watchdog` thread (pyoxigraph releases the
GIL while it evaluates) answers 503 on the worker's connection at the deadline and ends the
worker, and gunicorn starts another. Only queries of up to :data:`INLINE_CHARS` characters are
evaluated so: the parser and evaluator recurse, and a query that overflows the stack kills the
process it runs in. The flattest such query known, a chain of additions, needs about 14,000
characters to overflow a worker's 8 MiB stack; longer queries go to a child, whose crash
becomes a 400.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable

from ..errors import QueryRejected, QueryTimeout, QueryTooLarge, StoreUnavailable
from .store import Answer, QueryRequest
from .watchdog import (
    LONG_AFTER,
    LONG_NICENESS,
    SLOT_AFTER,
    WATCH_TICK,
    Lengthen,
    Watchdog,
    anonymous_bytes,
    cpu_seconds,
    too_large,
    unbounded,
)

Evaluate = Callable[[QueryRequest], Answer]
#: Signals a child dies of when the parser or evaluator runs out of stack.
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS}
HEADER = struct.Struct("!Q")
#: Bytes of a message read at once: its header and, mostly, all of it.
FIRST_READ = 1 << 16
PR_SET_PDEATHSIG = 1
#: Bytes the reply pipe holds (Linux allows up to 1 MiB unprivileged): most answers then pass in
#: one write and one read, rather than in 64 KiB turns of the two processes.
REPLY_PIPE_BYTES = 1 << 20
#: Longest query a web worker with a watchdog evaluates itself (see the module's text).
INLINE_CHARS = 1024
#: The least stack a worker needs to evaluate queries itself: the one INLINE_CHARS was measured on.
INLINE_STACK_BYTES = 8 << 20

log = logging.getLogger(__name__)


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int) -> object:
    # One message is in flight at a time, so a first large read never takes the next one's bytes.
    data = os.read(fd, FIRST_READ)
    if not data:
        raise EOFError
    if len(data) < HEADER.size:
        data += _read_exactly(fd, HEADER.size - len(data))
    (size,) = HEADER.unpack_from(data)
    body = data[HEADER.size :]
    if len(body) < size:
        body += _read_exactly(fd, size - len(body))
    return pickle.loads(body)


def die_with_parent(parent: int, signal_number: int = signal.SIGKILL) -> None:
    """Ask the kernel to send this process ``signal_number`` when its parent dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal_number)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _child_main(requests: int, replies: int, evaluate: Evaluate, parent: int) -> None:
    low, high = sorted((requests, replies))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, os.sysconf("SC_OPEN_MAX"))
    for number in (
        signal.SIGTERM,
        signal.SIGHUP,
        signal.SIGQUIT,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGCHLD,
        signal.SIGWINCH,
        signal.SIGTTIN,
        signal.SIGTTOU,
    ):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    while True:
        try:
            request = _receive(requests)
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, object] = ("ok", evaluate(request))  # type: ignore[arg-type]
        except QueryRejected as exc:
            reply = ("rejected", (str(exc), exc.status))
        except Exception as exc:  # the message goes to the log, never to the client
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        _send(replies, reply)


class Child:
    """One query child: its process id and the parent's ends of its two pipes."""

    def __init__(self, evaluate: Evaluate) -> None:
        request_read, request_write = os.pipe()  # parent -> child
        reply_read, reply_write = os.pipe()  # child -> parent
        if hasattr(fcntl, "F_SETPIPE_SZ"):
            with contextlib.suppress(OSError):  # a smaller pipe is slower, not wrong
                fcntl.fcntl(reply_read, fcntl.F_SETPIPE_SZ, REPLY_PIPE_BYTES)
        parent = os.getpid()
        with warnings.catch_warnings():
            # Python 3.12 warns of forking with threads running (a worker's watchdog): a lock
            # another thread holds stays held in the child. The child takes none of theirs: it
            # only reads its pipe, evaluates and writes.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # in the child: answer until the parent goes, then leave without cleanup
            try:
                _child_main(request_read, reply_write, evaluate, parent)
            finally:
                os._exit(0)
        os.close(request_read)
        os.close(reply_write)
        self.pid, self.owner = pid, parent
        self.requests, self.replies = request_write, reply_read
        self.poller = select.poll()
        self.poller.register(reply_read, select.POLLIN | select.POLLHUP | select.POLLERR)
        self.status: int | None = None
        #: Whether the child was reniced for a long query (it cannot be raised back: not reused).
        self.niced = False

    def run(
        self, request: QueryRequest, timeout: float, memory: int, lengthen: Lengthen = unbounded
    ) -> Answer:
        """Send a request and wait for the answer at most ``timeout`` seconds, while the child
        takes at most ``memory`` bytes more than it held, and past :data:`SLOT_AFTER` while
        ``lengthen`` lets it go on.

        :raises QueryTimeout: the deadline passed, or ``lengthen`` refused (its error, a
            :class:`~psfkg.errors.LongQueriesBusy`); the child has been killed.
        :raises QueryTooLarge: the child took more memory; it has been killed.
        :raises StoreUnavailable: the child died (it was killed, or crashed).
        :raises QueryRejected: the store refused the query (syntax error...), or it crashed the
            parser (nesting too deep).
        """
        started, held, cpu = time.monotonic(), anonymous_bytes(self.pid), cpu_seconds(self.pid)
        ready, asked = False, False
        try:
            _send(self.requests, request)
            while not ready:
                elapsed = time.monotonic() - started
                if elapsed >= timeout:
                    break
                if not asked and cpu_seconds(self.pid) - cpu >= SLOT_AFTER:
                    asked, refused = True, lengthen()
                    if refused is not None:
                        self.kill()
                        raise refused
                if (elapsed >= LONG_AFTER or asked) and not self.niced:
                    self._yield_cpu()
                ready = bool(self.poller.poll(min(timeout - elapsed, WATCH_TICK) * 1000))
                if not ready and anonymous_bytes(self.pid) - held > memory:
                    self.kill()
                    raise too_large(memory)
        except OSError:
            ready = True  # the child is gone: reading says so
        if not ready:
            self.kill()
            raise QueryTimeout(f"query timed out after {timeout:g} s")
        try:
            reply = _receive(self.replies)
        except (EOFError, OSError):
            self.kill()
            if (
                self.status is not None
                and os.WIFSIGNALED(self.status)
                and os.WTERMSIG(self.status) in CRASH_SIGNALS
            ):
                raise QueryRejected(
                    "the query is too complex to evaluate (nested too deeply)"
                ) from None
            raise StoreUnavailable("the query worker stopped; please retry") from None
        assert isinstance(reply, tuple)
        kind, payload = reply
        if kind == "ok" and isinstance(payload, Answer):
            return payload
        if kind == "rejected":
            message, status = payload
            raise QueryRejected(message, status)
        raise StoreUnavailable(f"the store failed to answer ({payload})")

    def _yield_cpu(self) -> None:
        """Lower a long query's priority, so that short queries keep the CPU."""
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, LONG_NICENESS)
            self.niced = True

    @property
    def alive(self) -> bool:
        """Whether the child belongs to this process and has not hung up."""
        if self.owner != os.getpid() or self.status is not None:
            return False
        events = self.poller.poll(0)
        return not any(e & (select.POLLHUP | select.POLLERR) for _, e in events)

    def kill(self) -> None:
        """Stop the child at once, reap it, and close the pipes."""
        if self.owner != os.getpid() or self.status is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        _, self.status = os.waitpid(self.pid, 0)
        for fd in (self.requests, self.replies):
            os.close(fd)


#: The watchdog of this web worker, when its server installed one (:mod:`psfkg.serving`).
watchdog: Watchdog | None = None


class QueryRunner:
    """A pool of query children for one web worker; threads each take their own child. Under
    a :class:`Watchdog`, short queries are evaluated in the worker itself."""

    def __init__(self, evaluate: Evaluate, *, timeout: float, memory: int = 1 << 62) -> None:
        self.evaluate = evaluate
        self.timeout, self.memory = timeout, memory
        self._idle: list[Child] = []
        self._lock = threading.Lock()
        self.restarts = 0
        self.closed = False

    def run(self, request: QueryRequest, lengthen: Lengthen = unbounded) -> Answer:
        """Answer a request within the timeout, and past :data:`SLOT_AFTER` while ``lengthen``
        lets it go on: here when a watchdog watches and the query is short, else in a child
        (see :meth:`Child.run`)."""
        guard = watchdog
        if guard is not None and guard.owner == os.getpid() and len(request.query) <= INLINE_CHARS:
            return self._inline(request, guard, lengthen)
        child = self._take()
        try:
            answer = child.run(request, self.timeout, self.memory, lengthen)
        except (QueryTimeout, QueryTooLarge, StoreUnavailable):
            with self._lock:
                self.restarts += 1
            raise
        except QueryRejected:
            if child.alive:
                self._give_back(child)
            raise
        self._give_back(child)
        return answer

    def _inline(self, request: QueryRequest, guard: Watchdog, lengthen: Lengthen) -> Answer:
        with guard.watching(self.timeout, self.memory, lengthen):
            try:
                return self.evaluate(request)
            except (QueryRejected, KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException as exc:  # as from a child: the message goes to the log only
                if not isinstance(exc, Exception):  # a pyoxigraph panic: is the store intact?
                    guard.retire()
                raise StoreUnavailable(
                    f"the store failed to answer ({type(exc).__name__}: {exc})"
                ) from None

    def _take(self) -> Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive:
                    return child
                child.kill()
        return Child(self.evaluate)

    def _give_back(self, child: Child) -> None:
        with self._lock:
            if not self.closed and not child.niced:
                self._idle.append(child)
                return
        child.kill()  # reniced for a long query, or the runner of a release no longer served

    def close(self) -> None:
        """Stop every idle child; children still answering are stopped when they are done."""
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()
