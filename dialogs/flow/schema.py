"""Flow schema: the pydantic models an admin-edited flow YAML must satisfy."""

from datetime import time
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dialogs.texts import DEFAULT_TEXTS
from scoring import Attribute

LANGUAGES: tuple[str, ...] = ("id", "en")
QuestionKind = Literal[
    "choice", "money", "timeline", "role", "yesno", "number", "email", "phone", "text", "need"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_languages(value: dict[str, str]) -> dict[str, str]:
    missing = [lang for lang in LANGUAGES if not value.get(lang, "").strip()]
    if missing:
        raise ValueError(f"needs text in every language; missing: {', '.join(missing)}")
    return value


Localized = Annotated[dict[str, str], Field(min_length=1)]


class Condition(_Model):
    """A test on one attribute (`slot` or `slot.field`): equals, one of, or in [min, max)."""

    attribute: str
    equals: Attribute = None
    one_of: tuple[Attribute, ...] = ()
    min: float | None = None
    max: float | None = None
    filled: bool | None = None  # true: the slot has any answer; false: it has none

    @model_validator(mode="after")
    def _one_test(self) -> "Condition":
        tests = [
            self.equals is not None,
            bool(self.one_of),
            self.min is not None or self.max is not None,
            self.filled is not None,
        ]
        if sum(tests) != 1:
            raise ValueError("give exactly one of: equals, one_of, min/max, filled")
        return self


class Branch(_Model):
    """Go to `goto` when the condition holds (branches are tried in order)."""

    when: Condition
    goto: str
    say: Localized | None = None  # said when the branch is taken, e.g. a polite goodbye


class Option(_Model):
    """One answer of a choice question."""

    id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:+<>=-]+$")]
    label: Localized
    synonyms: tuple[str, ...] = ()
    points: int = 0
    # A typed number ("sekitar 120 orang") picks the option whose [min, max) holds it.
    min: float | None = None
    max: float | None = None

    @field_validator("label")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_languages(value)


class PointRule(_Model):
    """Fit points for a value of this question's slot (or one of its fields)."""

    id: str
    field: str | None = None  # e.g. "max" of a budget, "role" of an authority
    equals: Attribute = None
    one_of: tuple[Attribute, ...] = ()
    min: float | None = None
    max: float | None = None
    points: int
    reason: str


class Question(_Model):
    """One question: what it asks, which slot it fills, how it scores, where it goes next."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    slot: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kind: QuestionKind
    prompt: Localized
    reask: Localized | None = None
    retries: Annotated[int, Field(ge=0, le=5)] = 2
    options: tuple[Option, ...] = ()
    free_text: bool = False  # a choice question that also keeps free-text answers
    min: float | None = None
    max: float | None = None
    points: tuple[PointRule, ...] = ()
    next: str | None = None
    branches: tuple[Branch, ...] = ()
    skip_if: Condition | None = None

    @field_validator("prompt", "reask")
    @classmethod
    def _prompts(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _check_languages(value)

    @model_validator(mode="after")
    def _options_fit_kind(self) -> "Question":
        if self.kind == "choice" and not self.options:
            raise ValueError("a choice question needs options")
        ids = [option.id for option in self.options]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate option ids: {', '.join(duplicates)}")
        return self


class Bands(_Model):
    hot: Annotated[int, Field(ge=0, le=100)] = 80
    warm: Annotated[int, Field(ge=0, le=100)] = 50

    @model_validator(mode="after")
    def _ordered(self) -> "Bands":
        if self.warm >= self.hot:
            raise ValueError("warm must be below hot")
        return self


class FitRuleModel(_Model):
    """A fit rule on any attribute; the format `qualibot calibrate --write` produces."""

    id: str
    attribute: str
    points: int
    reason: str = ""
    equals: Attribute = None
    one_of: tuple[Attribute, ...] = ()
    min: float | None = None
    max: float | None = None


# Rupiah per unit of a foreign currency, for scoring only: a budget keeps the currency it was
# said in; rules and stage thresholds compare Rupiah. Set your own in the flow's scoring.
DEFAULT_RATES: Final[dict[str, float]] = {
    "USD": 16_000.0,
    "SGD": 12_000.0,
    "EUR": 17_500.0,
    "MYR": 3_500.0,
    "AUD": 10_500.0,
}


class ScoringConfig(_Model):
    base: int = 0
    half_life_days: Annotated[float, Field(gt=0)] = 14.0
    bands: Bands = Bands()
    engagement: dict[str, int] = {}
    rules: tuple[FitRuleModel, ...] = ()
    exchange_rates: dict[str, Annotated[float, Field(gt=0)]] = DEFAULT_RATES


class SqlConfig(_Model):
    min_score: int = 65
    budget_min: int | None = None
    budget_path_ok: bool = True
    authority: tuple[str, ...] = ("decision_maker", "co_decision_maker", "influencer")
    need: tuple[str, ...] = ("high", "medium")
    timeline_max_months: float | None = 6.0
    demo_fast_track_score: int | None = 50


class StagesConfig(_Model):
    mql_score: int = 50
    sql: SqlConfig = SqlConfig()


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHoursConfig(_Model):
    """When the sales team answers (Jakarta time): what the prospect is told and the SLA."""

    days: Annotated[tuple[Weekday, ...], Field(min_length=1)] = WEEKDAYS[:5]
    start: time = time(9)
    end: time = time(17)
    holidays: bool = True  # Indonesian public holidays and collective leave are days off

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingHoursConfig":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class NurtureStep(_Model):
    """One message of the nurture sequence, `day` days after the lead became MQL."""

    day: Annotated[int, Field(ge=1, le=365)]
    text: Localized  # per language; {name} is the lead's name ("" when unknown)


DEFAULT_NURTURE: Final = (
    NurtureStep(
        day=1,
        text={
            "id": "Halo{name}! Ini panduan singkat cara tim sales membalas leads dalam 5 menit: "
            "kapan pun Anda siap, kami bantu.",
            "en": "Hi{name}! Here is a short guide to answering leads within 5 minutes: "
            "whenever you are ready, we can help.",
        },
    ),
    NurtureStep(
        day=3,
        text={
            "id": "Boleh satu pertanyaan{name}: apa yang paling menghambat follow up leads di "
            "tim Anda saat ini?",
            "en": "One question{name}: what slows your team's lead follow-up down the most today?",
        },
    ),
    NurtureStep(
        day=7,
        text={
            "id": "Tim lain menghemat 10 jam per minggu dengan kualifikasi otomatis. Mau lihat "
            "caranya?",
            "en": "Other teams save 10 hours a week with automatic qualification. Want to see "
            "how?",
        },
    ),
    NurtureStep(
        day=10,
        text={
            "id": "Mau kami jadwalkan demo 20 menit{name}? Balas 'demo' dan tim kami "
            "menghubungi Anda.",
            "en": "Shall we book a 20-minute demo{name}? Reply 'demo' and our team will "
            "contact you.",
        },
    ),
)


class NurtureConfig(_Model):
    """Follow-ups for MQLs who consented, and one nudge for a prospect silent mid-way.

    Sent in the prospect's day only (no message from `quiet_start` to `quiet_end`, WIB unless
    the lead's zone is known), at most one per `min_gap_hours`, stopped by a reply, an
    opt-out or a stage change."""

    steps: tuple[NurtureStep, ...] = DEFAULT_NURTURE
    quiet_start: time = time(21)
    quiet_end: time = time(8)
    min_gap_hours: Annotated[int, Field(ge=1)] = 24
    nudge_after_hours: Annotated[int, Field(ge=1)] | None = 4  # None: no nudge


class FlowDocument(_Model):
    """The whole flow document as written in YAML."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    version: Annotated[int, Field(ge=1)] = 1
    name: str = ""
    start: str
    questions: Annotated[tuple[Question, ...], Field(min_length=1)]
    texts: dict[str, Localized] = {}
    scoring: ScoringConfig = ScoringConfig()
    stages: StagesConfig = StagesConfig()
    sla_minutes: Annotated[int, Field(ge=1)] = 60
    working_hours: WorkingHoursConfig = WorkingHoursConfig()
    # where a prospect who is not ready yet can read more (closings for MQL and not qualified)
    resources_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    nurture: NurtureConfig = NurtureConfig()

    @field_validator("texts")
    @classmethod
    def _known_texts(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        unknown = sorted(set(value) - set(DEFAULT_TEXTS))
        if unknown:
            known = ", ".join(sorted(DEFAULT_TEXTS))
            raise ValueError(f"unknown text keys: {', '.join(unknown)}; known: {known}")
        return value
