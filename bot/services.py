"""The services one process runs on, built by `build_app` (the composition root) and handed
to the channels and the web chat explicitly: they are given what they use, they never look
it up in the application."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from bot.pipeline import Pipeline
from dialogs import Sender
from handoff.crm import CrmEvents
from handoff.delivery import Background
from handoff.notifiers import Notifier
from handoff.outbox import OutboxWorker
from handoff.sdr_directory import SdrDirectory
from storage.database import Database
from storage.writer import Writer


@dataclass(eq=False)
class Services:
    """Built with the app; the storage side and the HTTP session are filled in as the app
    starts (the database connects, the session needs the running loop), before any request.
    The channels add their senders and notifiers; the outbox worker starts last."""

    clock: Callable[[], datetime]
    crm: CrmEvents
    background: Background = field(default_factory=Background)
    senders: dict[str, Sender] = field(default_factory=dict)  # prospect replies per channel
    notifiers: dict[str, Notifier] = field(default_factory=dict)  # handoff notices
    note_senders: dict[str, Sender] = field(default_factory=dict)  # notes to SDR chats
    db: Database = field(init=False)
    writer: Writer = field(init=False)
    pipeline: Pipeline = field(init=False)
    sdrs: SdrDirectory = field(init=False)
    http: aiohttp.ClientSession = field(init=False)
    worker: OutboxWorker | None = None  # None until every channel has started

    def wake_outbox(self) -> None:
        """Something was queued: the worker sends it now instead of at its next poll."""
        if self.worker is not None:
            self.worker.wake.set()
