"""RecentKeys: delivery ids seen recently, the in-process fast path of webhook dedup.

In-process only: the database's unique (channel, message_id) is the guarantee across workers
and restarts; this spares it the platforms' retries (Telegram update ids, WhatsApp wamids).
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class RecentKeys(Generic[K]):
    """Keys seen recently, forgotten after `ttl` or when more than `max_entries` are held."""

    def __init__(
        self,
        *,
        ttl: timedelta,
        max_entries: int = 200_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl.total_seconds()
        self._max = max_entries
        self._monotonic = monotonic
        self._expiry: OrderedDict[K, float] = OrderedDict()  # insertion order = expiry order

    def __len__(self) -> int:
        return len(self._expiry)

    def claim(self, key: K) -> bool:
        """True the first time a key is seen within the TTL, False for a repeat."""
        now = self._monotonic()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
        if key in self._expiry:
            return False
        self._expiry[key] = now + self._ttl
        if len(self._expiry) > self._max:
            self._expiry.popitem(last=False)
        return True

    def release(self, key: K) -> None:
        """Forget a key whose processing failed, so the platform's retry is accepted."""
        self._expiry.pop(key, None)
