"""The gate: at most as many requests with the workers as there are workers, the others waiting
in a queue per client, taken in turn."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator

from .messages import Refused

#: Requests one client may have waiting for a worker; past them, 429.
WAITING_PER_CLIENT = 64
#: Clients held back at once before those whose time is up are forgotten.
HELD_AT_MOST = 4096


class Gate:
    """At most ``slots`` requests with the workers at once; the others wait in a queue per
    client, and a freed slot goes to the next client in turn.

    A client the app has just refused for sending too much (429, or 503 for a runaway when
    every long slot is taken; the app says so in ``X-PSFKG-Hold``: see :meth:`hold_back`) is
    held back until its ``Retry-After`` has passed: what it has queued
    waits behind every other client, and what it sends meanwhile the front refuses itself, so
    that runaways sent again and again neither delay the cheap queries of others nor burn the
    CPU each time before they are stopped.
    """

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: collections.OrderedDict[str, collections.deque[asyncio.Future[None]]] = (
            collections.OrderedDict()
        )
        #: Clients held back, with the loop time until which they are.
        self.held_back: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, client: str, *, bounded: bool) -> AsyncIterator[None]:
        """Wait for a slot, in ``client``'s queue.

        :raises Refused: 429 when ``bounded`` and the client already has too many waiting.
        """
        if self.free and not self.waiting:
            self.free -= 1
        else:
            queue = self.waiting.setdefault(client, collections.deque())
            if bounded and len(queue) >= WAITING_PER_CLIENT:
                raise Refused(429, "too many of your requests are waiting for a worker", 1)
            waiter = asyncio.get_running_loop().create_future()
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._hand_on()  # given a slot as it gave up: pass it on
                else:
                    with contextlib.suppress(ValueError):  # passed over by _hand_on already
                        queue.remove(waiter)
                    if not queue and self.waiting.get(client) is queue:
                        del self.waiting[client]
                raise
        try:
            yield
        finally:
            self._hand_on()

    def hold_back(self, client: str, seconds: float) -> None:
        """Hold ``client`` back for ``seconds``: what it has queued waits behind the others, and
        what it sends meanwhile is refused (see :meth:`held`)."""
        now = asyncio.get_running_loop().time()
        if len(self.held_back) >= HELD_AT_MOST:  # many addresses: forget those whose time is up
            self.held_back = {c: t for c, t in self.held_back.items() if t > now}
        self.held_back[client] = now + seconds

    def held(self, client: str) -> float:
        """Seconds ``client`` is still held back for (0: it is not)."""
        until = self.held_back.get(client)
        if until is None:
            return 0.0
        left = until - asyncio.get_running_loop().time()
        if left <= 0:
            del self.held_back[client]
            return 0.0
        return left

    def _next(self) -> str:
        """The next client in turn that is not held back, else the next in turn."""
        now = asyncio.get_running_loop().time() if self.held_back else 0.0
        for client in self.waiting:
            until = self.held_back.get(client)
            if until is None:
                return client
            if until <= now:
                del self.held_back[client]
                return client
        return next(iter(self.waiting))

    def _hand_on(self) -> None:
        """Give a slot to the first waiter of the next client in turn, or free it."""
        while self.waiting:
            client = self._next()
            queue = self.waiting[client]
            waiter = queue.popleft()
            if queue:
                self.waiting.move_to_end(client)
            else:
                del self.waiting[client]
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1
