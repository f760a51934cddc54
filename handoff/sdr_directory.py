"""Which chats and numbers belong to SDRs (configured or in the database), so their messages
are read as decisions and reasons, never as a prospect's answers."""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Final

from storage.database import Database
from storage.sdrs import list_sdrs

REFRESH: Final = timedelta(seconds=10)


class SdrDirectory:
    """A small cache of SDR addresses per channel, refreshed from the database every 10 s."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime],
        telegram: Iterable[str] = (),
        whatsapp: Iterable[str] = (),
    ) -> None:
        self._db = db
        self._clock = clock
        self._configured = {"telegram": set(telegram), "whatsapp": set(whatsapp)}
        self._known: dict[str, set[str]] = {k: set(v) for k, v in self._configured.items()}
        self._loaded_at: datetime | None = None

    async def refresh(self) -> None:
        async with self._db.connection() as conn:
            sdrs = await list_sdrs(conn)
        self._known = {k: set(v) for k, v in self._configured.items()}
        for sdr in sdrs:
            if sdr.telegram_chat_id:
                self._known["telegram"].add(sdr.telegram_chat_id)
            if sdr.whatsapp_number:
                self._known["whatsapp"].add(sdr.whatsapp_number.lstrip("+"))
        self._loaded_at = self._clock()

    async def is_sdr(self, channel: str, address: str) -> bool:
        """Whether `address` (a chat id, a phone number) is an SDR's on `channel`."""
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at > REFRESH:
            await self.refresh()
        return address.lstrip("+") in self._known.get(channel, set())
