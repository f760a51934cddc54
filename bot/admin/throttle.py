"""Login throttling: growing delays for failed passwords, per address and overall.

A refusal would lock the admins out for failures they did not make: anyone behind the same
proxy, or an attacker spraying from many addresses, could keep the right password from
working. So nothing is refused for others' failures. Instead every attempt waits before its
password is checked:

* per address, attempts are checked one at a time, and after FREE_PER_ADDRESS recent
  failures of that address each waits 1, 2, 4 ... seconds (at most MAX_ADDRESS_DELAY);
* overall, after FREE_OVERALL recent failures from anywhere, every attempt waits too, growing
  to MAX_OVERALL_DELAY, so many addresses together cannot guess quickly either.

The right password then works, at worst a few seconds late. The one refusal (429) is for an
address that already has MAX_WAITING attempts in line: its own flood of parallel requests.
"""

import asyncio
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Final

from bot.locks import KeyedLocks

WINDOW: Final = timedelta(minutes=15)  # failures older than this are forgotten
FREE_PER_ADDRESS: Final = 3
FREE_OVERALL: Final = 10
MAX_ADDRESS_DELAY: Final = timedelta(minutes=5)
MAX_OVERALL_DELAY: Final = timedelta(seconds=10)
MAX_WAITING: Final = 3  # attempts of one address in line at once
MAX_ADDRESSES: Final = 10_000  # bounds memory under a spray of addresses


class Flooding(Exception):
    """An address has too many login attempts waiting already."""


def _growing(failures: int, free: int, cap: timedelta) -> timedelta:
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), cap)


class LoginThrottle:
    """Delays before each password check, from the failures per address and overall."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lines = KeyedLocks()
        self._by_address: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._overall: deque[datetime] = deque()

    def delay(self, address: str) -> timedelta:
        """How long an attempt from `address` waits before its password is checked now."""
        since = self._clock() - WINDOW
        while self._overall and self._overall[0] <= since:
            self._overall.popleft()
        failures = self._by_address.get(address, deque())
        while failures and failures[0] <= since:
            failures.popleft()
        return _growing(len(failures), FREE_PER_ADDRESS, MAX_ADDRESS_DELAY) + _growing(
            len(self._overall), FREE_OVERALL, MAX_OVERALL_DELAY
        )

    @asynccontextmanager
    async def turn(self, address: str) -> AsyncIterator[None]:
        """Wait for this address's turn and its delay; Flooding if too many are in line."""
        if self._lines.users(address) >= MAX_WAITING:
            raise Flooding(address)
        async with self._lines.hold(address):
            wait = self.delay(address)
            if wait:
                await self._sleep(wait.total_seconds())
            yield

    def failed(self, address: str) -> None:
        now = self._clock()
        self._overall.append(now)
        failures = self._by_address.setdefault(address, deque())
        failures.append(now)
        self._by_address.move_to_end(address)
        if len(self._by_address) > MAX_ADDRESSES:
            self._by_address.popitem(last=False)

    def succeeded(self, address: str) -> None:
        """The right password: this address starts afresh (others' failures still count)."""
        self._by_address.pop(address, None)
