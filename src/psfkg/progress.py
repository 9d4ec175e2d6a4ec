"""Progress on long work: each step's name and duration, and a live bar for slow steps.

Progress goes to standard error, so that standard output stays for results (``psfkg build``
prints the release directory as its last line). On a terminal, a step that runs longer than
:data:`LIVE_AFTER` seconds shows a bar (when its total is known) or a ticking clock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LIVE_AFTER = 1.0
BAR_WIDTH = 24


class Step:
    """A running step: call :meth:`advance` as units of known work are done."""

    def __init__(self, name: str, total: int | None) -> None:
        self.name, self.total, self.done = name, total, 0
        self.started = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.done += n

    @property
    def elapsed(self) -> float:
        """Seconds since the step started."""
        return time.perf_counter() - self.started

    def line(self) -> str:
        """The live line: a bar when the total is known, else the elapsed time."""
        if self.total:
            filled = int(BAR_WIDTH * min(self.done, self.total) / self.total)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            return f"  {self.name} [{bar}] {self.done}/{self.total} {self.elapsed:.1f}s"
        return f"  {self.name} ... {self.elapsed:.1f}s"


class Progress:
    """Reports steps to a stream; quiet when ``stream`` is None."""

    def __init__(self, stream: TextIO | None = sys.stderr) -> None:
        self.stream = stream
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str, total: int | None = None) -> Iterator[Step]:
        """Time a step; on a terminal, show it live once it has run for a second."""
        step = Step(name, total)
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
            self.timings[name] = step.elapsed
        if self.stream is not None:
            clear = "\r\033[K" if live else ""
            print(f"{clear}  {name:<12} {step.elapsed:7.2f} s", file=self.stream, flush=True)

    def _tick(self, step: Step, stop: threading.Event) -> None:
        assert self.stream is not None
        if stop.wait(LIVE_AFTER):
            return
        while not stop.wait(0.1):
            print(f"\r\033[K{step.line()}", end="", file=self.stream, flush=True)
