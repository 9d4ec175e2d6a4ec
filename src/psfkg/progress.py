"""Progress on long work: each step's name, duration and rate, a live line for slow steps, and
an estimate of what is left.

Progress goes to standard error, so that standard output stays for results (``psfkg build``
prints the release directory as its last line). On a terminal, a step that runs longer than
:data:`LIVE_AFTER` seconds shows a live line: with a known total, a bar, the units done, the rate
and the time left (ETA); else a ticking clock. Off a terminal there is no live line, only the
finished ones, each with its rate when the step counted its units.

Once the size of the whole run is known (:meth:`Progress.expect`, the build's record count), a
step that counted nothing is rated per record, and the seconds per record of an earlier run
(:meth:`Progress.rates`, kept beside the releases by ``psfkg build``) give an estimate of the
whole run and of what is left. Given a ``memory`` reading (:func:`peak_memory`), each finished
line also says the process's peak memory so far, so a long run shows which step needs it.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

LIVE_AFTER = 1.0
BAR_WIDTH = 24
#: A clock in seconds: :func:`time.perf_counter`, or a fake one in tests.
Clock = Callable[[], float]
GIB = 1024**3


def peak_memory() -> int:
    """The most memory (resident set, bytes) this process has held so far (Linux counts kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def duration(seconds: float) -> str:
    """Seconds for a person.

    >>> duration(4.2), duration(75), duration(3720)
    ('4 s', '1 min 15 s', '1 h 2 min')
    """
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


class Step:
    """A running step: call :meth:`advance` as units of known work are done."""

    def __init__(
        self,
        name: str,
        total: int | None,
        *,
        unit: str = "",
        clock: Clock = time.perf_counter,
        expected: float | None = None,
    ) -> None:
        self.name, self.total, self.done, self.unit = name, total, 0, unit
        self.clock, self.expected = clock, expected
        self.started = clock()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.done += n

    @property
    def elapsed(self) -> float:
        """Seconds since the step started."""
        return self.clock() - self.started

    @property
    def rate(self) -> float | None:
        """Units done per second, once some are done."""
        elapsed = self.elapsed
        return self.done / elapsed if self.done and elapsed > 0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far, when the total is known."""
        rate = self.rate
        return max(0, self.total - self.done) / rate if self.total and rate else None

    def _rated(self) -> str:
        """The rate: units a second, or seconds a unit when fewer than one a second."""
        rate, unit = self.rate, self.unit or "units"
        if rate is None:
            return ""
        return f"{rate:,.1f} {unit}/s" if rate >= 1 else f"{1 / rate:,.1f} s/{unit.rstrip('s')}"

    def line(self) -> str:
        """The live line: a bar, the units done, the rate and the ETA when the total is known,
        else the elapsed time (of the seconds expected, if an earlier run tells)."""
        if self.total:
            filled = int(BAR_WIDTH * min(self.done, self.total) / self.total)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            eta = self.eta
            left = f"ETA {duration(eta)}" if eta is not None else "ETA ?"
            return (
                f"  {self.name} [{bar}] {self.done}/{self.total} {self._rated()} {left} "
                f"{self.elapsed:.1f}s"
            )
        expected = f" of about {duration(self.expected)}" if self.expected else ""
        return f"  {self.name} ... {self.elapsed:.1f}s{expected}"

    def summary(self) -> str:
        """The finished line: the duration, then the units done and the rate if counted."""
        line = f"  {self.name:<12} {self.elapsed:7.2f} s"
        return (
            f"{line}  ({self.done:,} {self.unit or 'units'}, {self._rated()})"
            if self.done
            else line
        )


class Progress:
    """Reports steps to a stream; quiet when ``stream`` is None.

    :param clock: the clock steps are timed with.
    :param costs: seconds per unit of each step in an earlier run (:meth:`rates`), for estimates.
    :param memory: the process's peak memory in bytes (:func:`peak_memory`), shown on each
        finished line; none shown without it.
    """

    def __init__(
        self,
        stream: TextIO | None = sys.stderr,
        *,
        clock: Clock = time.perf_counter,
        costs: Mapping[str, float] | None = None,
        memory: Callable[[], int] | None = None,
    ) -> None:
        self.stream, self.clock, self.memory = stream, clock, memory
        self.timings: dict[str, float] = {}
        self.costs = dict(costs or {})
        self.units: int | None = None
        self.unit = ""

    def expect(self, units: int, unit: str = "records") -> None:
        """The size of the whole run; with an earlier run's costs, print the estimate."""
        self.units, self.unit = units, unit
        left = self.left()
        if left is not None:
            self._say(f"  {'estimate':<12} about {duration(left)} for {units:,} {unit}")

    def left(self) -> float | None:
        """Estimated seconds of the steps not yet done, at the earlier run's costs."""
        if not self.units or not self.costs:
            return None
        return sum(
            cost * self.units for name, cost in self.costs.items() if name not in self.timings
        )

    def rates(self) -> dict[str, float]:
        """Seconds per unit of each finished step, once the size of the run is known."""
        units = self.units
        return {name: seconds / units for name, seconds in self.timings.items()} if units else {}

    @contextmanager
    def step(self, name: str, total: int | None = None, *, unit: str = "") -> Iterator[Step]:
        """Time a step; on a terminal, show it live once it has run for a second."""
        cost = self.costs.get(name)
        expected = cost * self.units if cost is not None and self.units else None
        step = Step(name, total, unit=unit, clock=self.clock, expected=expected)
        stop = threading.Event()
        live = self.stream is not None and self.stream.isatty()
        ticker = (
            threading.Thread(target=self._tick, args=(step, stop), daemon=True) if live else None
        )
        if ticker:
            ticker.start()
        try:
            yield step
        finally:
            stop.set()
            if ticker:
                ticker.join()
        if not step.done and self.units:
            step.done, step.unit = self.units, self.unit  # rated per record of the run
        self.timings[name] = step.elapsed
        left = self.left()
        more = f", about {duration(left)} left" if left else ""
        if self.memory is not None:
            more += f", peak {self.memory() / GIB:.2f} GiB"
        self._say(("\r\033[K" if live else "") + step.summary() + more)

    def _say(self, line: str) -> None:
        if self.stream is not None:
            print(line, file=self.stream, flush=True)

    def _tick(self, step: Step, stop: threading.Event) -> None:
        assert self.stream is not None
        if stop.wait(LIVE_AFTER):
            return
        while not stop.wait(0.1):
            print(f"\r\033[K{step.line()}", end="", file=self.stream, flush=True)


def read_costs(path: Path) -> dict[str, float]:
    """The costs an earlier run saved with :func:`save_costs`; none if unreadable."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: float(v) for k, v in found.items() if isinstance(v, int | float)}


def save_costs(path: Path, progress: Progress) -> None:
    """Keep a run's seconds per unit (:meth:`Progress.rates`) for the next run's estimate."""
    rates = progress.rates()
    if rates and path.parent.is_dir():
        path.write_text(json.dumps(rates, indent=1, sort_keys=True) + "\n", encoding="utf-8")
