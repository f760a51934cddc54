"""Login throttling: delays that grow with failures, never a refusal of the right password."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.admin.throttle import Flooding, LoginThrottle

START = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Sleeps:
    """Records the delays instead of waiting them; `gate` holds sleepers until opened."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        await self.gate.wait()


def throttle() -> tuple[LoginThrottle, Clock, Sleeps]:
    clock, sleeps = Clock(), Sleeps()
    return LoginThrottle(clock=clock, sleep=sleeps), clock, sleeps


async def attempt(limiter: LoginThrottle, address: str, *, right: bool = False) -> None:
    async with limiter.turn(address):
        if right:
            limiter.succeeded(address)
        else:
            limiter.failed(address)


async def test_an_address_waits_longer_after_each_failure() -> None:
    limiter, _, sleeps = throttle()

    for _ in range(7):
        await attempt(limiter, "10.0.0.1")

    assert sleeps.slept == [1, 2, 4, 8]  # three free, then doubling


async def test_failures_from_many_addresses_slow_everyone_down_but_refuse_nobody() -> None:
    limiter, _, sleeps = throttle()
    for n in range(6):  # twelve failures, none past its own address's three free ones
        await attempt(limiter, f"10.0.0.{n}")
        await attempt(limiter, f"10.0.0.{n}")

    await attempt(limiter, "192.168.1.5", right=True)  # the admin, from elsewhere

    assert sleeps.slept == [1, 2, 4]  # after ten failures overall, everyone waits


async def test_the_overall_delay_is_capped_so_the_admin_gets_in() -> None:
    limiter, _, _ = throttle()
    for n in range(200):
        limiter.failed(f"10.0.{n // 250}.{n % 250}")

    assert limiter.delay("192.168.1.5") == timedelta(seconds=10)


async def test_failures_are_forgotten_after_the_window() -> None:
    limiter, clock, _ = throttle()
    for _ in range(6):
        limiter.failed("10.0.0.1")

    clock.now += timedelta(minutes=16)

    assert limiter.delay("10.0.0.1") == timedelta(0)


async def test_the_right_password_starts_the_address_afresh() -> None:
    limiter, _, _ = throttle()
    for _ in range(5):
        limiter.failed("10.0.0.1")

    await attempt(limiter, "10.0.0.1", right=True)

    assert limiter.delay("10.0.0.1") == timedelta(0)


async def test_an_address_with_three_attempts_in_line_is_told_to_wait() -> None:
    limiter, _, sleeps = throttle()
    for _ in range(4):
        limiter.failed("10.0.0.1")
    sleeps.gate.clear()  # the next attempts wait in line
    waiting = [asyncio.create_task(attempt(limiter, "10.0.0.1")) for _ in range(3)]
    await asyncio.sleep(0)

    with pytest.raises(Flooding):
        await attempt(limiter, "10.0.0.1")
    await attempt(limiter, "192.168.1.5", right=True)  # another address is not held up

    sleeps.gate.set()
    await asyncio.gather(*waiting)
