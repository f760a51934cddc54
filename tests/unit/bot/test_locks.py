"""KeyedLocks: one holder per key, in arrival order, and nothing left behind."""

import asyncio

import pytest

from bot.locks import KeyedLocks


async def test_holders_of_one_key_run_one_at_a_time_in_arrival_order() -> None:
    locks = KeyedLocks()
    seen: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold("web:alice"):
            seen.append(f"{name} in")
            await asyncio.sleep(0)
            seen.append(f"{name} out")

    await asyncio.gather(*(hold(name) for name in ("a", "b", "c")))

    assert seen == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert len(locks) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    locks = KeyedLocks()
    inside = asyncio.Event()

    async def first() -> None:
        async with locks.hold("web:alice"):
            await inside.wait()  # held until the other key got in

    async def second() -> None:
        async with locks.hold("web:bob"):
            inside.set()

    await asyncio.wait_for(asyncio.gather(first(), second()), timeout=1)
    assert len(locks) == 0


async def test_a_waiter_cancelled_in_line_leaves_nothing_behind() -> None:
    locks = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("web:alice"):
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await first

    assert len(locks) == 0
    async with locks.hold("web:alice"):  # still usable
        assert len(locks) == 1


async def test_an_error_inside_releases_the_key() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("web:alice"):
            raise RuntimeError("boom")

    assert len(locks) == 0
    async with asyncio.timeout(1), locks.hold("web:alice"):
        pass
