"""The front's gate: a queue per client, taken in turn, and bounded."""

from __future__ import annotations

import asyncio

import pytest

from psfkg.front.gate import WAITING_PER_CLIENT, Gate
from psfkg.front.messages import Refused


def order_of(first: str, queued: str, *, held_back: str = "") -> str:
    """The order in which one slot goes: to ``first``, then to the requests of ``queued`` (a
    letter a client), queued while ``first`` holds it; ``held_back`` was just refused."""

    async def scenario() -> str:
        gate, order = Gate(1), []
        release = asyncio.Event()

        async def request(client: str) -> None:
            async with gate.turn(client, bounded=True):
                order.append(client)
                await release.wait()

        for client in held_back:
            gate.hold_back(client, 60)
        holder = asyncio.create_task(request(first))
        await asyncio.sleep(0)
        tasks = [asyncio.create_task(request(c)) for c in queued]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(holder, *tasks)
        return "".join(order)

    return asyncio.run(scenario())


def test_the_gate_takes_clients_in_turn() -> None:
    """a queues three requests, then b one: b goes second, not fourth."""
    assert order_of("a", "aaab") == "aabaa"


def test_a_client_held_back_waits_behind_the_others() -> None:
    """b was just refused: a's later requests go before b's until b's time is up."""
    assert order_of("c", "baba", held_back="b") == "caabb"


def test_the_gate_bounds_a_clients_queue() -> None:
    async def scenario() -> None:
        gate = Gate(0)
        waiting = [asyncio.create_task(_enter(gate, "a")) for _ in range(WAITING_PER_CLIENT)]
        await asyncio.sleep(0)
        with pytest.raises(Refused) as refused:
            await _enter(gate, "a")
        assert refused.value.status == 429
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        assert not gate.waiting and gate.free == 0

    asyncio.run(scenario())


async def _enter(gate: Gate, client: str) -> None:
    async with gate.turn(client, bounded=True):
        pass
