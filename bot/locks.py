"""Per-lead serialisation: one asyncio.Lock per key, dropped once nobody holds or waits for it."""

import asyncio
from types import TracebackType


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holding or waiting


class KeyedLocks:
    """asyncio.Lock is FIFO, so messages of one lead are handled in arrival order."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def hold(self, key: str) -> "_Hold":
        """`async with locks.hold(key):` runs the block alone among holders of `key`."""
        return _Hold(self._entries, key)

    def __len__(self) -> int:
        return len(self._entries)

    def users(self, key: str) -> int:
        """How many hold or wait for `key`."""
        entry = self._entries.get(key)
        return 0 if entry is None else entry.users


class _Hold:
    # A class rather than an @asynccontextmanager: every message passes through here, and the
    # generator machinery cost more than the lock itself.
    __slots__ = ("_entries", "_entry", "_key")

    def __init__(self, entries: dict[str, _Entry], key: str) -> None:
        self._entries, self._key = entries, key

    async def __aenter__(self) -> None:
        entry = self._entries.get(self._key)
        if entry is None:
            entry = self._entries[self._key] = _Entry()
        entry.users += 1
        self._entry = entry
        try:
            await entry.lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user
            self._leave()
            raise

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._entry.lock.release()
        self._leave()

    def _leave(self) -> None:
        self._entry.users -= 1
        if not self._entry.users:
            del self._entries[self._key]
