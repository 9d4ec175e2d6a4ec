"""The server's counters, the rate-limit windows of its clients and its word on the last release
it refused, shared by every worker.

They live in one anonymous shared memory mapping made when the app is made: under gunicorn that
is in the master, before the workers fork, so every worker, and every worker started later to
replace one, counts in the same place, and a worker that is killed loses nothing. A lock made at
the same time (a POSIX semaphore) guards it. No file, no other process, no network.

A client's window is kept in a table of :data:`SLOTS` slots, found by its address's hash with a
few probes; when all of them are taken by clients seen within the window, the oldest gives way,
so a flood of addresses cannot grow memory, only forget the least recent.

The fair share: each evaluation under way is noted with its process and its client, so that a
client cannot hold more than ``PSFKG_CLIENT_SHARE`` of the workers at once, whichever they are;
an evaluation whose process died (stopped at its deadline) no longer counts. Workers serve one
request at a time (gunicorn's sync worker), so a process has one evaluation at most.

The long lane: an evaluation that uses more than a quarter second of CPU takes one of
``PSFKG_LONG_QUERIES`` long slots, marked on its entry in the same table, so that whatever runs
long, the other workers are free for short queries. The slot is the entry's: it goes when the
evaluation ends, however it ends, and with its process when that dies.

The problem with a release: under gunicorn the master switches releases (:mod:`psfkg.serving`);
when it refuses one, it writes why here, so that every worker says so at ``/-/health``.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import os
import struct
import time
from typing import Literal

WINDOW = 60.0
#: Rate-limit windows kept at once, and the slots a client's address may take.
SLOTS, PROBES = 1 << 16, 8
#: HTTP statuses counted, one slot each.
STATUSES = 600
#: Named counters, one slot each, before the statuses.
COUNTERS = ("queries", "timeouts", "too_large", "busy", "limited", "last_stop")
HEADER = len(COUNTERS) + STATUSES
SLOT = struct.Struct("=qdq")  # address hash, window start (monotonic seconds), requests
#: Where the table of windows starts in the mapping, after the counters.
TABLE = 8 * HEADER
#: Evaluations under way, server-wide: (worker pid, client hash, whether it runs long).
RUNNING = 256
EVALUATION = struct.Struct("=qqq")
EVALUATIONS = TABLE + SLOT.size * SLOTS
#: The whole table of evaluations, read at once.
TABLE_OF_EVALUATIONS = struct.Struct("=" + "qqq" * RUNNING)
#: Where the problem with the release last refused is (its length, then its UTF-8), and its bytes.
PROBLEM = EVALUATIONS + EVALUATION.size * RUNNING
PROBLEM_BYTES = 4096
LENGTH = struct.Struct("=q")


class Stats:
    """Server-wide counters and rate-limit windows (see the module's text)."""

    def __init__(self) -> None:
        self.started = time.time()
        self._memory = mmap.mmap(-1, PROBLEM + LENGTH.size + PROBLEM_BYTES)
        self._ints = memoryview(self._memory)[:TABLE].cast("q")
        self._lock = multiprocessing.Lock()

    def stopped(self, why: str) -> None:
        """Count a query stopped (``why``: ``timeouts`` at its deadline, ``too_large`` for its
        memory, ``busy`` turning long with no long slot free), and remember when."""
        with self._lock:
            self._ints[COUNTERS.index(why)] += 1
            self._ints[COUNTERS.index("last_stop")] = int(time.time())

    def killing(self, within: float = WINDOW) -> bool:
        """Whether a query was stopped in the last ``within`` seconds."""
        return time.time() - self["last_stop"] < within

    def count(self, status: int, *, query: bool) -> None:
        """Count one answer of ``status``, and a query if it answered one."""
        with self._lock:
            if 0 <= status < STATUSES:
                self._ints[len(COUNTERS) + status] += 1
            if query:
                self._ints[COUNTERS.index("queries")] += 1

    def __getitem__(self, name: str) -> int:
        return int(self._ints[COUNTERS.index(name)])

    @property
    def statuses(self) -> dict[int, int]:
        """Answers by status, those that occurred."""
        base = len(COUNTERS)
        return {s: int(self._ints[base + s]) for s in range(STATUSES) if self._ints[base + s]}

    @property
    def problem(self) -> str | None:
        """The problem with the release last refused, for every worker to report; None when
        the release wanted is served."""
        with self._lock:
            (size,) = LENGTH.unpack_from(self._memory, PROBLEM)
            start = PROBLEM + LENGTH.size
            text = self._memory[start : start + size]
        return text.decode("utf-8", "replace") if size else None

    @problem.setter
    def problem(self, text: str | None) -> None:
        data = (text or "").encode()[:PROBLEM_BYTES]
        with self._lock:
            start = PROBLEM + LENGTH.size
            self._memory[start : start + len(data)] = data
            LENGTH.pack_into(self._memory, PROBLEM, len(data))

    def allow(self, client: str, limit: int) -> float:
        """0 when the client may go on, else the seconds until its window ends."""
        key = _key(client)
        now = time.monotonic()
        with self._lock:
            offset, start, count = self._slot(key, now)
            if now - start >= WINDOW:
                start, count = now, 0
            if count >= limit:
                self._ints[COUNTERS.index("limited")] += 1
                return WINDOW - (now - start)
            SLOT.pack_into(self._memory, offset, key, start, count + 1)
            return 0.0

    def _slot(self, key: int, now: float) -> tuple[int, float, int]:
        """Where ``key``'s window is (its start and count), or the slot it takes: a free one, a
        stale one, or the oldest of its probes."""
        oldest = None
        for probe in range(PROBES):
            offset = TABLE + (key + probe) % SLOTS * SLOT.size
            held, start, count = SLOT.unpack_from(self._memory, offset)
            if held == key:
                return offset, start, count
            if held == 0 or now - start >= WINDOW:
                return offset, now, 0
            if oldest is None or start < oldest[1]:
                oldest = (offset, start)
        assert oldest is not None
        return oldest[0], now, 0

    def begin(self, client: str, share: int) -> bool:
        """Note that this process evaluates a query of ``client``, unless the client already has
        ``share`` evaluations under way in the server (then False, and nothing is noted; a
        share of 0 is no limit).

        An evaluation whose process has died (killed at its deadline, say) no longer counts."""
        key = _key(client)
        with self._lock:
            mine = sum(1 for _, _, holder, _ in self._evaluations() if holder == key)
            if share and mine >= share:
                return False
            free = self._free()
            if free is not None:  # a full table (more evaluations than it holds) counts none
                EVALUATION.pack_into(self._memory, free, os.getpid(), key, 0)
            return True

    def lengthen(self, slots: int, per_client: int) -> Literal["busy", "yours"] | None:
        """Let this process's evaluation run long: None when it takes a long slot; ``busy``
        when the server has ``slots`` long evaluations already, ``yours`` when its client has
        ``per_client`` (0: no limit, either). An evaluation never noted runs long unbounded."""
        pid = os.getpid()
        with self._lock:
            entries = self._evaluations()
            found = [e for e in entries if e[1] == pid]
            if not found:
                return None
            offset, _, key, _ = found[0]
            long = [holder for _, _, holder, running_long in entries if running_long]
            if slots and len(long) >= slots:
                return "busy"
            if per_client and long.count(key) >= per_client:
                return "yours"
            EVALUATION.pack_into(self._memory, offset, pid, key, 1)
            return None

    def _evaluations(self) -> list[tuple[int, int, int, int]]:
        """The table's entries in use: (offset, pid, client hash, long); the lock is held. An
        entry of a dead process is freed on the way. The table is read in one call."""
        values = TABLE_OF_EVALUATIONS.unpack_from(self._memory, EVALUATIONS)
        found = []
        for n in range(RUNNING):
            pid = values[3 * n]
            if not pid:
                continue
            offset = EVALUATIONS + n * EVALUATION.size
            if not _alive(pid):
                EVALUATION.pack_into(self._memory, offset, 0, 0, 0)
                continue
            found.append((offset, pid, values[3 * n + 1], values[3 * n + 2]))
        return found

    def _free(self) -> int | None:
        """The offset of the table's first free entry; the lock is held."""
        values = TABLE_OF_EVALUATIONS.unpack_from(self._memory, EVALUATIONS)
        for n in range(RUNNING):
            if not values[3 * n]:
                return EVALUATIONS + n * EVALUATION.size
        return None

    @property
    def running(self) -> int:
        """Evaluations under way in the server."""
        with self._lock:
            return len(self._evaluations())

    @property
    def running_long(self) -> int:
        """Evaluations under way in the server that hold a long slot."""
        with self._lock:
            return sum(1 for _, _, _, long in self._evaluations() if long)

    def end(self) -> None:
        """This process's evaluation is over (its long slot, if it took one, too)."""
        pid = os.getpid()
        with self._lock:
            values = TABLE_OF_EVALUATIONS.unpack_from(self._memory, EVALUATIONS)
            for n in range(RUNNING):
                if values[3 * n] == pid:
                    EVALUATION.pack_into(self._memory, EVALUATIONS + n * EVALUATION.size, 0, 0, 0)


def _key(client: str) -> int:
    """A client address's slot key: a positive 63-bit hash (0 marks a free slot)."""
    return int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "big") >> 1 or 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
