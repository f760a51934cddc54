"""The flow studio's operations, shared by the JSON admin API and the admin pages: drafts
(validated before they are kept), the simulator, publishing, rollback, versions, the funnel.

A draft never goes live by itself: only publishing (or a rollback) makes a version, and a
serving process takes it for new conversations (bot.flow_registry).
"""

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from bot.flow_registry import FlowRegistry, compile_version
from dialogs import Channel, Flow, FlowErrors, InboundMessage, new_state, step
from dialogs.describe import describe_value
from storage.dashboard import Filters
from storage.database import Database
from storage.errors import VersionTaken
from storage.flow_funnel import VersionFunnel, flow_funnel
from storage.flows import (
    FlowVersion,
    get_draft,
    get_version,
    list_flow_ids,
    list_versions,
    publish_draft,
    rollback,
    save_draft,
)
from storage.writer import Job, Writer

SIMULATED_GAP: Final = timedelta(seconds=20)  # between simulated messages: a quick prospect
MAX_SIMULATED: Final = 50
PUBLISH_ATTEMPTS: Final = 3


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem as the editor and the API show it."""

    line: int | None
    path: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "path": self.path, "message": self.message}


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    """What the admin types in the simulator: a text, or a button by its option id."""

    text: str = ""
    choice: str | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One line of a simulated transcript."""

    sender: str  # 'prospect' | 'bot'
    text: str
    choices: tuple[tuple[str, str], ...]  # (id, label)
    stage: str
    score: int
    slots: tuple[tuple[str, str], ...]  # (slot, value in words), after this turn

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.sender,
            "text": self.text,
            "choices": [{"id": id_, "label": label} for id_, label in self.choices],
            "stage": self.stage,
            "score": self.score,
            "slots": dict(self.slots),
        }


def problems_of(errors: FlowErrors) -> list[Problem]:
    return [Problem(e.line, e.pointer, e.problem) for e in errors.errors]


def check_source(name: str, source: str) -> tuple[Flow | None, list[Problem]]:
    """Compile a flow's YAML; the problems, each with its line, if it does not."""
    try:
        flow = compile_version(source, name, 0)
    except FlowErrors as e:
        return None, problems_of(e)
    if flow.id != name:
        line = next((n for n, text in enumerate(source.splitlines(), 1) if text[:3] == "id:"), 1)
        problem = f"the flow's id is {flow.id!r} but it is edited as {name!r}"
        return None, [Problem(line, "id", problem)]
    return flow, []


def simulate(
    flow: Flow, messages: Sequence[SimulatedMessage], start: datetime, language: str = "en"
) -> list[Turn]:
    """Chat with `flow` as a new prospect would; the transcript with stage and score."""
    state = new_state(flow)
    turns: list[Turn] = []
    for n, message in enumerate(messages[:MAX_SIMULATED]):
        inbound = InboundMessage(
            channel=Channel.WEB,
            channel_user_id="simulator",
            message_id=f"sim-{n}",
            sent_at=start + n * SIMULATED_GAP,
            text=message.text,
            choice_id=message.choice,
        )
        result = step(state, flow, inbound, inbound.sent_at)
        state = result.state
        slots = tuple(
            (
                slot,
                describe_value(slot, value.value, language, flow.question_for_slot(slot))
                if value.status == "filled"
                else "unknown",
            )
            for slot, value in state.slots.items()
        )
        stage, score = state.stage.value, result.score.value
        label = message.text or _label_of(flow, message.choice, language)
        turns.append(Turn("prospect", label, (), stage, score, slots))
        turns.extend(
            Turn(
                "bot",
                reply.text,
                tuple((c.id, c.label) for c in reply.choices),
                stage,
                score,
                slots,
            )
            for reply in result.replies
        )
    return turns


def _label_of(flow: Flow, choice: str | None, language: str) -> str:
    for question in flow.questions.values():
        for option in question.options:
            if option.id == choice:
                return option.label.get(language, choice)
    return choice or ""


def diff(old: str, new: str, old_name: str, new_name: str) -> list[str]:
    """A unified diff of two flow sources, line by line."""
    return list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3
        )
    )


@dataclass(frozen=True, slots=True)
class FlowSummary:
    name: str
    published_version: int | None
    versions: list[FlowVersion]
    has_draft: bool


class FlowStudio:
    """Flows as admins edit them; writes go through the single writer."""

    def __init__(
        self,
        db: Database,
        writer: Writer,
        registry: FlowRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._writer = writer
        self.registry = registry
        self._clock = clock

    async def flows(self) -> list[FlowSummary]:
        async with self._db.connection() as conn:
            names = await list_flow_ids(conn)
            summaries = []
            for name in names:
                versions = await list_versions(conn, name)
                live = next((v.version for v in versions if v.status == "published"), None)
                draft = await get_draft(conn, name)
                summaries.append(FlowSummary(name, live, versions, draft is not None))
        return summaries

    async def exists(self, name: str) -> bool:
        async with self._db.connection() as conn:
            return name in await list_flow_ids(conn)

    async def draft_source(self, name: str) -> tuple[str, bool] | None:
        """The draft's YAML (True), else the published version's (False); None if unknown."""
        async with self._db.connection() as conn:
            draft = await get_draft(conn, name)
            if draft is not None:
                return draft.source, True
            versions = await list_versions(conn, name)
        live = next((v for v in versions if v.status == "published"), None)
        return None if live is None else (live.source, False)

    async def save_draft(self, name: str, source: str) -> list[Problem]:
        """Keep `source` as the draft if it is a valid flow; otherwise its problems, and
        nothing is changed."""
        _, problems = check_source(name, source)
        if problems:
            return problems
        now = self._clock()
        await self._writer.run(lambda conn: save_draft(conn, name, source, now))
        return []

    async def draft_flow(self, name: str) -> Flow | None:
        found = await self.draft_source(name)
        if found is None:
            return None
        flow, _ = check_source(name, found[0])
        return flow

    async def _newest(self, job: Job) -> int | None:
        """Run a job that adds the newest version; two admins at once (several workers on
        PostgreSQL): the one that lost the version number tries again with the next."""
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                version: int | None = await self._writer.run(job)
            except VersionTaken:
                if attempt == PUBLISH_ATTEMPTS - 1:
                    raise
                continue
            return version
        return None  # pragma: no cover - the loop returns or raises

    async def publish(self, name: str, note: str | None) -> int | None:
        """Publish the draft as the newest version; None if there is no draft."""
        now = self._clock()
        version = await self._newest(lambda conn: publish_draft(conn, name, now, note))
        if version is not None:
            await self._went_live(name)
        return version

    async def rollback(self, name: str, version: int) -> int | None:
        """Publish a copy of `version` as the newest; None if there is no such version."""
        now = self._clock()
        published = await self._newest(lambda conn: rollback(conn, name, version, now))
        if published is not None:
            await self._went_live(name)
        return published

    async def _went_live(self, name: str) -> None:
        if name == self.registry.flow_id:
            await self.registry.refresh()  # this process at once; others within a poll

    async def version(self, name: str, version: int) -> FlowVersion | None:
        async with self._db.connection() as conn:
            return await get_version(conn, name, version)

    async def funnel(self, name: str, filters: Filters | None = None) -> list[VersionFunnel]:
        order = {}
        for version in await self._versions(name):
            flow = self.registry.get(name, version)
            if flow is not None:
                order[version] = list(flow.order)
        async with self._db.connection() as conn:
            return await flow_funnel(conn, name, order, filters)

    async def _versions(self, name: str) -> list[int]:
        async with self._db.connection() as conn:
            return [v.version for v in await list_versions(conn, name)]
