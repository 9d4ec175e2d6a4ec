"""This worker's counters and the rate-limit windows of its clients."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

WINDOW = 60.0


@dataclass
class Stats:
    """This worker's counters since it started."""

    started: float = field(default_factory=time.time)
    statuses: Counter[int] = field(default_factory=Counter)
    queries: int = 0
    timeouts: int = 0
    limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: client -> (window start, requests in the window)
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def allow(self, client: str, limit: int) -> float:
        """0 when the client may go on, else the seconds until its window ends."""
        now = time.monotonic()
        with self.lock:
            start, count = self.windows.get(client, (now, 0))
            if now - start >= WINDOW:
                start, count = now, 0
            if count >= limit:
                self.limited += 1
                return WINDOW - (now - start)
            self.windows[client] = (start, count + 1)
            if len(self.windows) > 100_000:  # forget idle clients rather than grow without end
                self.windows = {c: w for c, w in self.windows.items() if now - w[0] < WINDOW}
            return 0.0
