"""Typed slot values: what the extractors find and what the engine stores for a lead."""

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # How sure the reading is, 0..1: a grammar's clear hit near 1, a classifier's calibrated
    # probability otherwise. The engine accepts, confirms or asks again by it.
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


BudgetStatus = Literal[
    "stated",
    "tentative",
    "flexible",
    "unknown_wants_quote",
    "pending_approval",
    "refused",
    "no_budget",
]
Period = Literal["one_time", "monthly", "yearly"]


class Budget(_Value):
    """A budget: integer amounts in `currency` (IDR unless written otherwise)."""

    min: int | None = None
    max: int | None = None
    currency: str = "IDR"
    period: Period | None = None
    approx: bool = False
    status: BudgetStatus = "stated"
    # "1.5M" reads as 1.5 miliar or 1.5 million: never guessed; the engine asks back.
    ambiguous: bool = False
    alternatives: tuple[int, ...] = ()


Role = Literal[
    "decision_maker",
    "co_decision_maker",
    "influencer",
    "gatekeeper",
    "researcher",
    "not_a_buyer",
    "unknown",
]
DecisionProcess = Literal["solo", "needs_approval", "committee", "tender", "solo_below_limit"]


class Authority(_Value):
    """Who the prospect is in the buying decision."""

    role: Role = "unknown"
    decision_process: DecisionProcess | None = None
    approver: str | None = None  # "atasan", "direksi", "CFO" ...
    title: str | None = None  # normalised title, e.g. "ceo", "procurement manager"
    approval_limit: int | None = None  # IDR, for solo_below_limit


NeedLevel = Literal["high", "medium", "low", "none", "unknown"]


class Need(_Value):
    """How much the prospect needs this, and for what."""

    level: NeedLevel = "unknown"
    use_case: str | None = None
    pain: str | None = None
    quantities: dict[str, int] = {}


TimelineBucket = Literal[
    "immediate_<=2w",
    "<=1m",
    "1-3m",
    "3-6m",
    "6-12m",
    ">12m",
    "unknown",
    "no_plan",
    "needs_clarification",
]


class Timeline(_Value):
    """When the prospect wants to start: a calendar window (Asia/Jakarta dates) and its bucket."""

    start: date | None = None
    end: date | None = None
    bucket: TimelineBucket = "unknown"


class Email(_Value):
    """An email address; personal domains (gmail, yahoo ...) are flagged for a fit rule."""

    address: str
    personal: bool = False


class Phone(_Value):
    """A phone number in E.164 (+62... for Indonesian numbers)."""

    number: str


class PersonName(_Value):
    """How the prospect is called: the name without "saya", "Pak" or "di sini"; the form of
    address they used is kept for addressing them."""

    value: str
    honorific: str | None = None


class CompanyName(_Value):
    """The prospect's company, its legal form kept ("CV Makmur Jaya Abadi")."""

    value: str


class Intent(StrEnum):
    """What a prospect may ask for at any point in the flow."""

    PRICE = "price"
    DEMO = "demo"
    HUMAN = "human"
    STOP = "stop"
    ERASE = "erase"
    RESTART = "restart"
    HELP = "help"
    LANGUAGE_ID = "language_id"
    LANGUAGE_EN = "language_en"
    PRODUCT = "product"  # asks what the product does or can do
    NOT_INTERESTED = "not_interested"  # not interested, bought elsewhere, wrong number
    SOMEONE_ELSE = "someone_else"  # speaks for a boss, a client, a friend
    GREETING = "greeting"  # a greeting or small talk only
    BOT_QUESTION = "bot_question"  # "is this a bot?"
