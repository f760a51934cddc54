"""The flows this process serves, read from the database (the source of truth).

On first start the configured (or bundled) flow file is imported as version 1. Every
version is compiled once and kept: a conversation stays on the version it started with. The
published version of the served flow is what new conversations take; each process polls the
database for a newer one every few seconds (QUALIBOT_FLOW_CHECK_SECONDS), so a publish
reaches every worker on one database without a restart, and the admin's own process at once.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from dialogs import Flow, FlowErrors, flow_from_text
from storage.database import Database
from storage.errors import VersionTaken
from storage.flows import get_version, import_first, list_versions, published_versions

logger = logging.getLogger(__name__)

Listener = Callable[[Flow, bool], None]  # (flow, live): a version to serve; live: the new one


def compile_version(source: str, flow_id: str, version: int) -> Flow:
    """A stored version as the engine runs it: the database's version number wins over the
    `version:` written in its YAML, so conversations record the number admins see."""
    flow = flow_from_text(source, source=f"{flow_id} v{version}")
    document = flow.document.model_copy(update={"version": version})
    return Flow.compile(document)


class FlowRegistry:
    """Compiled flows by (id, version), and the live version of the flow being served."""

    def __init__(
        self, db: Database, initial: Flow, initial_source: str, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._clock = clock
        self._source = initial_source
        self.flow_id = initial.id
        self._flows: dict[tuple[str, int], Flow] = {}
        self._live = initial
        self._file_document = initial.document.model_copy(update={"version": 0})
        self._live_version: int | None = None  # None until the database's version is live
        self._listeners: list[Listener] = []
        self._refreshing = asyncio.Lock()

    @property
    def live(self) -> Flow:
        """The published version of the served flow."""
        return self._live

    def get(self, flow_id: str, version: int) -> Flow | None:
        return self._flows.get((flow_id, version))

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` for every version known now and every one published later."""
        self._listeners.append(listener)
        for flow in self._flows.values():
            listener(flow, False)
        listener(self._live, True)

    async def start(self) -> None:
        """Import the flow file as version 1 if the database has no version of it; load."""
        try:
            async with self._db.transaction() as conn:
                imported = await import_first(conn, self.flow_id, self._source, self._clock())
        except VersionTaken:  # another worker imported it at the same moment
            imported = False
        if imported:
            logger.info("flow %s imported into the database as version 1", self.flow_id)
        await self._load_all()
        await self.refresh()
        live = self._flows.get((self.flow_id, self._live_version or 0))
        if imported or live is None:
            return
        if live.document.model_copy(update={"version": 0}) != self._file_document:
            logger.warning(
                "flow %s: the flow file differs from the published v%d; the database wins "
                "(qualibot flows import FILE publishes the file)",
                self.flow_id,
                live.version,
            )

    async def _load_all(self) -> None:
        async with self._db.connection() as conn:
            versions = await list_versions(conn, self.flow_id)
        for stored in versions:
            self._add(stored.source, stored.version)

    def _add(self, source: str, version: int) -> Flow | None:
        key = (self.flow_id, version)
        if key in self._flows:
            return self._flows[key]
        try:
            flow = compile_version(source, self.flow_id, version)
        except FlowErrors as e:  # a version this code can no longer run: keep serving
            logger.warning("flow %s v%d does not compile: %s", self.flow_id, version, e)
            return None
        self._flows[key] = flow
        for listener in self._listeners:
            listener(flow, False)
        return flow

    async def refresh(self) -> bool:
        """Take a newly published version live; whether the live version changed.

        One refresh at a time (the poll and a publish in this process may overlap), and never
        backwards: published version numbers only grow, so an older answer read before a
        publish committed cannot undo it."""
        async with self._refreshing:
            async with self._db.connection() as conn:
                published = (await published_versions(conn)).get(self.flow_id)
                if published is None or (
                    self._live_version is not None and published <= self._live_version
                ):
                    return False
                stored = None
                if (self.flow_id, published) not in self._flows:
                    stored = await get_version(conn, self.flow_id, published)
            if stored is not None:
                self._add(stored.source, stored.version)
            flow = self._flows.get((self.flow_id, published))
            if flow is None:
                return False
            self._live, self._live_version = flow, published
        logger.info("flow %s v%d is live", flow.id, flow.version)
        for listener in self._listeners:
            listener(flow, True)
        return True

    async def watch(self, every: float) -> None:
        """Poll for a newly published version until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh()
            except Exception:  # a database blip must not stop the watching
                logger.exception("checking for a newly published flow failed")
