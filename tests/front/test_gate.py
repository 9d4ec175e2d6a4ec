"""The front's gate: a queue per client, taken in turn, and bounded."""

from __future__ import annotations

import asyncio

import pytest

from psfkg.front.gate import WAITING_PER_CLIENT, Gate
from psfkg.front.messages import Refused


def test_the_gate_takes_clients_in_turn() -> None:
    """One slot; client a queues three requests, then b one: b goes second, not fourth."""

    async def scenario() -> list[str]:
        gate, order = Gate(1), []
        release = asyncio.Event()

        async def request(client: str) -> None:
            async with gate.turn(client, bounded=True):
                order.append(client)
                await release.wait()

        first = asyncio.create_task(request("a"))
        await asyncio.sleep(0)
        tasks = [asyncio.create_task(request(c)) for c in ("a", "a", "a", "b")]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, *tasks)
        return order

    assert asyncio.run(scenario()) == ["a", "a", "b", "a", "a"]


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


def test_a_client_held_back_waits_behind_the_others() -> None:
    """b was just refused: a's later requests go before b's until b's time is up."""

    async def scenario() -> list[str]:
        gate, order = Gate(1), []
        gate_open = asyncio.Event()

        async def request(client: str) -> None:
            async with gate.turn(client, bounded=True):
                order.append(client)
                await gate_open.wait()

        gate.hold_back("b", 60)
        first = asyncio.create_task(request("c"))
        await asyncio.sleep(0)
        tasks = [asyncio.create_task(request(c)) for c in ("b", "a", "b", "a")]
        await asyncio.sleep(0)
        gate_open.set()
        await asyncio.gather(first, *tasks)
        return order

    assert asyncio.run(scenario()) == ["c", "a", "a", "b", "b"]
