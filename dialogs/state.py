"""ConversationState: everything the engine knows about one conversation, persisted as JSON."""

from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from scoring import EventKind, ScoreEvent, Stage

SlotStatus = Literal["filled", "unknown"]
Language = Literal["id", "en"]
ConversationStatus = Literal["new", "active", "completed", "opted_out", "erased"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=_Frozen)


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """`cls.model_construct(**values)` for values already validated that name every field.

    The engine builds a state and a ledger entry or two on every message from values that
    are validated models or typed dataclass fields already; model_construct walks every field
    in Python (~6 µs for a state), this sets what it would set (~1 µs). Only for these models:
    no aliases, no private attributes, no post-init, extra forbidden (checked below).
    """
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


class SlotValue(_Frozen):
    """One thing learned about the lead, with the prospect's own words."""

    value: Any = None  # JSON: a Budget/Authority/... dump, an option id, text, number, bool
    raw: str = ""
    status: SlotStatus = "filled"
    question_id: str | None = None
    at: datetime


class SlotChange(_Frozen):
    """A slot set (or corrected) by one step."""

    slot: str
    old: SlotValue | None
    new: SlotValue


class Pending(_Frozen):
    """A value heard but not yet trusted: the engine asked back before scoring it."""

    slot: str
    question_id: str
    value: Any
    raw: str
    alternatives: tuple[Any, ...] = ()


class LedgerEntry(_Frozen):
    """A ScoreEvent in JSON form, so the state carries the ledger it scores from."""

    at: datetime
    rule_id: str
    reason: str
    points: int
    kind: EventKind
    key: str = ""

    @classmethod
    def of(cls, event: ScoreEvent) -> "LedgerEntry":
        # a ScoreEvent's fields are typed as these are: nothing to validate
        return trusted(
            cls,
            {
                "at": event.at,
                "rule_id": event.rule_id,
                "reason": event.reason,
                "points": event.points,
                "kind": event.kind,
                "key": event.key,
            },
        )

    def event(self) -> ScoreEvent:
        return ScoreEvent(self.at, self.rule_id, self.reason, self.points, self.kind, self.key)


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
    # in memory only: storage keeps the ledger as score_events rows, not in the stored JSON
    ledger: tuple[LedgerEntry, ...] = ()
    last_prompt_at: datetime | None = None
    last_inbound_at: datetime | None = None
    demo_requested: bool = False
    turns: int = 0

    def filled(self, slot: str) -> bool:
        """Whether the slot has an answer (an 'unknown' after the retry limit counts too)."""
        return slot in self.slots

    def events(self) -> list[ScoreEvent]:
        return [entry.event() for entry in self.ledger]


def _check_trusted(*models: type[_Frozen]) -> None:
    # what `trusted` relies on; a change to these models must revisit it
    for model in models:
        fields = model.model_fields.values()
        if (
            model.__pydantic_post_init__
            or model.__private_attributes__
            or any(f.alias is not None or f.validation_alias is not None for f in fields)
        ):
            raise TypeError(f"{model.__name__} cannot be built by `trusted`")


_check_trusted(SlotValue, SlotChange, LedgerEntry, ConversationState)
