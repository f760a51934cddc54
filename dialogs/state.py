"""ConversationState: everything the engine knows about one conversation, persisted as JSON."""

from datetime import datetime
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from scoring import ScoreEvent, Stage

SlotStatus = Literal["filled", "unknown"]
Language = Literal["id", "en"]
# closed: ended without a sale in view (not interested, not a buyer, declined to chat)
ConversationStatus = Literal["new", "active", "completed", "closed", "opted_out", "erased"]
# why a person on the sales team was brought in
HandoffReason = Literal["sql", "human", "demo"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=_Frozen)


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """`cls.model_construct(**values)`: for values the engine validated already (models,
    typed fields), so the state it builds on every message skips a validation pass."""
    return cast(M, cls.model_construct(**values))


class SlotValue(_Frozen):
    """One thing learned about the lead, with the prospect's own words."""

    value: Any = None  # JSON: a Budget/Authority/... dump, an option id, text, number, bool
    raw: str = ""
    status: SlotStatus = "filled"
    confidence: float = 1.0  # how sure the reading was (a button press: 1)
    question_id: str | None = None
    at: datetime


class SlotChange(_Frozen):
    """A slot set (or corrected) by one step."""

    slot: str
    old: SlotValue | None
    new: SlotValue


class Pending(_Frozen):
    """A value heard but not yet trusted: the engine asked back before scoring it.

    `money`: which of two amounts ("Rp 1 jt atau Rp 1 M?"); `confirm`: yes or no;
    `referral`: the contact of the person they speak for, then on from `question_id`."""

    kind: Literal["money", "confirm", "referral"] = "money"
    slot: str
    question_id: str
    value: Any
    raw: str
    alternatives: tuple[Any, ...] = ()


class ConversationState(_Frozen):
    """The conversation as of its last step; a new step returns a new state."""

    flow_id: str
    flow_version: int = 1
    language: Language = "id"
    status: ConversationStatus = "new"
    current_question: str | None = None
    retries: int = 0
    slots: dict[str, SlotValue] = Field(default_factory=dict)
    pending: Pending | None = None
    stage: Stage = Stage.LEAD
    # In memory only: storage keeps the ledger as score_events rows, so it is left out of the
    # stored JSON. The scoring package's own frozen events, not models: one object each for
    # the garbage collector to walk in every lead kept in memory, where a model is three.
    ledger: tuple[ScoreEvent, ...] = Field(default=(), exclude=True)
    last_prompt_at: datetime | None = None
    last_inbound_at: datetime | None = None
    demo_requested: bool = False
    turns: int = 0
    handoff: HandoffReason | None = None  # set once: a person on the sales team has the lead
    # what a prospect said before consenting: applied once they do, dropped if they decline
    held: dict[str, SlotValue] = Field(default_factory=dict)
    asked: dict[str, int] = Field(default_factory=dict)  # question id -> times it was put
    said: dict[str, int] = Field(default_factory=dict)  # text fingerprint -> times it was sent

    def filled(self, slot: str) -> bool:
        """Whether the slot has an answer (an 'unknown' after the retry limit counts too)."""
        return slot in self.slots
