"""A web worker's watchdog: it stops a query the worker evaluates itself, at its deadline or
when it takes more memory than it is given, and measures what a process holds.

Neither a Python thread nor a pyoxigraph evaluation can be interrupted from Python; pyoxigraph
releases the GIL while it evaluates, so a thread can watch the clock and the memory and, when a
query must stop, answer for it and end the process (see :mod:`psfkg.query.runner`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

from ..errors import LongQueriesBusy, QueryTimeout, QueryTooLarge

#: A query that has used this many seconds of CPU needs one of the server's long slots to go on
#: (see :data:`Lengthen`): far more than a cheap query takes, and little of a worker to lose.
SLOT_AFTER = 0.25
#: A query still running after this many seconds, or one that has taken a long slot, is long: its
#: process yields the CPU to short ones, at the least priority there is.
LONG_AFTER = 1.0
LONG_NICENESS = 19
#: Seconds between a watchdog's looks at the clock and the memory: it is this late at most.
WATCH_TICK = 0.05

#: Asked when a query passes :data:`SLOT_AFTER`: None lets it run on (it has taken a long slot),
#: an error stops it with that error.
Lengthen = Callable[[], LongQueriesBusy | None]

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

log = logging.getLogger(__name__)


def unbounded() -> None:
    """Let any query run long (the default :data:`Lengthen`)."""


def cpu_seconds(pid: int | str = "self") -> float:
    """CPU seconds a process has used (user and system), from ``/proc/<pid>/stat``; 0 where it
    does not say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def anonymous_bytes(pid: int | str = "self") -> int:
    """The anonymous memory a process holds, in bytes: its resident pages that no file backs.

    That counts the store pages it shares with its parent too, so only its growth means
    anything: what the process allocated since. Copying a shared page on write does not add to
    it. It is read from ``/proc/<pid>/statm`` in microseconds, where ``smaps_rollup``, which
    would tell private pages from shared ones, walks every page table and takes milliseconds.
    0 where ``/proc`` does not say.
    """
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            fields = fh.read().split()
        return (int(fields[1]) - int(fields[2])) * PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return 0


def too_large(memory: int) -> QueryTooLarge:
    """The error of a query stopped for taking more than ``memory`` bytes."""
    return QueryTooLarge(
        f"the query needed more than {memory >> 20} MiB of memory and was stopped "
        "(PSFKG_QUERY_MEMORY); narrow it, or ask for fewer or smaller rows"
    )


class Watchdog:
    """Ends this process when a query it evaluates itself passes its deadline.

    A thread looks at the clock every :data:`WATCH_TICK` seconds. At :data:`SLOT_AFTER` seconds
    of the evaluating thread's CPU (not of the wall clock, which a busy machine stretches) it asks
    the evaluation's ``lengthen`` whether it may go on: if not, it is stopped as at its deadline.
    Once it has a long slot, or past :data:`LONG_AFTER`, the evaluating thread is reniced, so
    that short queries elsewhere
    keep the CPU, and ``retire`` is called when the query ends: a thread cannot be raised back,
    so the server should replace the process. At the deadline it calls ``give_up`` (to answer
    503) and ends the process at once.

    It watches one evaluation at a time: it is for a server whose worker serves one request at a
    time (gunicorn's sync worker).

    It also stops a query that takes more than its memory (beyond what the process held when
    the query began) in the same way.

    :param give_up: answers the request whose query was stopped, given the error to answer and
        the seconds the query ran.
    :param retire: asks the server to end this process after the current request.
    """

    def __init__(
        self,
        give_up: Callable[[QueryTimeout | QueryTooLarge, float], None],
        retire: Callable[[], None],
    ) -> None:
        self.give_up, self.retire = give_up, retire
        self.owner = os.getpid()
        self._lock = threading.Lock()
        self._started: float | None = None
        self._timeout = 0.0
        self._memory, self._held = 0, 0
        self._evaluator = 0
        #: The evaluating thread's CPU clock, and its reading when the query began.
        self._clock, self._cpu = time.CLOCK_THREAD_CPUTIME_ID, 0.0
        self._lengthen: Lengthen = unbounded
        self._asked = self._niced = False
        threading.Thread(target=self._watch, name="psfkg-watchdog", daemon=True).start()

    @contextlib.contextmanager
    def watching(
        self, timeout: float, memory: int = 1 << 62, lengthen: Lengthen = unbounded
    ) -> Iterator[None]:
        """Watch the calling thread's evaluation for ``timeout`` seconds and ``memory`` bytes,
        asking ``lengthen`` when it turns long."""
        held = anonymous_bytes()
        with self._lock:
            self._started, self._timeout = time.monotonic(), timeout
            self._memory, self._held = memory, held
            self._lengthen, self._asked = lengthen, False
            self._evaluator = threading.get_native_id()
            self._clock = time.pthread_getcpuclockid(threading.get_ident())
            self._cpu = time.clock_gettime(self._clock)
        try:
            yield
        finally:
            with self._lock:
                self._started = None
                niced = self._niced
            if niced:
                self.retire()

    def _cpu_used(self) -> float:
        """CPU seconds the evaluating thread has used on this query (the lock is held)."""
        try:
            return time.clock_gettime(self._clock) - self._cpu
        except OSError:  # the thread has ended
            return 0.0

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_TICK)
            with self._lock:
                if self._started is None:
                    continue
                elapsed = time.monotonic() - self._started
                error: QueryTimeout | QueryTooLarge | None = None
                if elapsed >= self._timeout:
                    error = QueryTimeout(f"query timed out after {self._timeout:g} s")
                elif anonymous_bytes() - self._held > self._memory:
                    error = too_large(self._memory)
                elif not self._asked and self._cpu_used() >= SLOT_AFTER:
                    self._asked = True
                    try:
                        error = self._lengthen()
                    except Exception:  # the watchdog must go on: the query goes on too
                        log.exception("asking whether a query may go on failed")
                if error is None and (elapsed >= LONG_AFTER or self._asked) and not self._niced:
                    with contextlib.suppress(OSError):  # Linux: a thread id renices one thread
                        os.setpriority(os.PRIO_PROCESS, self._evaluator, LONG_NICENESS)
                    self._niced = True
                if error is not None:
                    try:
                        self.give_up(error, elapsed)
                    except Exception:
                        log.exception("answering a stopped query failed")
                    finally:
                        os._exit(0)
