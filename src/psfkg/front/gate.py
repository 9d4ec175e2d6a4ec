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


class Gate:
    """At most ``slots`` requests with the workers at once; the others wait in a queue per
    client, and a freed slot goes to the next client in turn.

    A client the server has just refused (429, or 503 for a query stopped: see
    :meth:`hold_back`) waits behind every other client until its ``Retry-After`` has passed, so
    that runaways sent again and again do not delay the cheap queries of others.
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
        """Let ``client`` wait behind the others for ``seconds``."""
        self.held_back[client] = asyncio.get_running_loop().time() + seconds

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
