"""ConversationState: everything the engine knows about one conversation, persisted as JSON."""

from datetime import datetime
from typing import Any, Literal, TypeVar

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
    """`cls.model_construct(**values)` for values already validated that name every field.

    The engine builds a state and a slot value or two on every message from values that
    are validated models or typed dataclass fields already; model_construct walks every field
    in Python (~6 µs for a state), this sets what it would set (~1 µs). Only for these models:
    no aliases, no private attributes, no post-init, extra forbidden (checked below).
    """
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", _every_field(cls))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def _every_field(cls: type[_Frozen]) -> set[str]:
    # One set per model class, shared by every instance `trusted` builds: a set of its own
    # would be one more object per slot value for the garbage collector to walk
    # in every lead kept in memory (a third of them). Sharing is safe because these models
    # are frozen: pydantic only changes a fields set on a copy (`model_copy` copies it first).
    fields = _FIELD_SETS.get(cls)
    if fields is None:
        fields = _FIELD_SETS[cls] = set(cls.model_fields)
    return fields


_FIELD_SETS: dict[type[_Frozen], set[str]] = {}


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


_check_trusted(SlotValue, SlotChange, ConversationState)
