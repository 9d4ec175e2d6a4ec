"""Answers kept for repeated queries: bounded, per worker, per release.

A release never changes, so an answer for the same query, dataset and format is the same until the
release does; its ETag says exactly that, and is the key. Only answers up to
``MAX_ENTRY`` bytes are kept, within ``PSFKG_ANSWER_CACHE_BYTES`` in all (least recently used go
first). A client that sends ``Cache-Control: no-cache`` (or ``no-store``) gets a fresh evaluation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..query.store import Answer

MAX_ENTRY = 256 * 1024


class Answers:
    """A least-recently-used map from ETag to answer, bounded in bytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self._entries: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Answer | None:
        """The answer kept for ``key``, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, answer: Answer) -> None:
        """Keep an answer, if it is small enough, forgetting the oldest to make room."""
        size = len(answer.body)
        if size > min(MAX_ENTRY, self.capacity):
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = answer
            self.size += size
            while self.size > self.capacity:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped.body)
