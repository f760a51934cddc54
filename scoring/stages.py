"""Stages and the rules that move a lead between them (data from the flow, not code)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    """Where a lead is in the funnel."""

    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WON = "won"
    LOST = "lost"
    NURTURE = "nurture"
    OPTED_OUT = "opted_out"
    NOT_QUALIFIED = "not_qualified"  # no fit: not interested, bought elsewhere, not a buyer


# Stages the qualification rules may still move forward; later ones belong to sales.
_RANK: dict[Stage, int] = {Stage.LEAD: 0, Stage.NURTURE: 0, Stage.MQL: 1, Stage.SQL: 2}


@dataclass(frozen=True, slots=True)
class SqlCriteria:
    """BANT criteria for a sales-qualified lead; `None` means the criterion is not required."""

    min_score: int = 65
    budget_min: int | None = None  # in IDR; a stated budget must reach it
    budget_path_ok: bool = True  # "pending approval" / "flexible" count as a path to budget
    authority: frozenset[str] = frozenset({"decision_maker", "co_decision_maker", "influencer"})
    need: frozenset[str] = frozenset({"high", "medium"})
    timeline_max_months: float | None = 6.0
    demo_fast_track_score: int | None = 50  # a demo request from a lead at this score is SQL


@dataclass(frozen=True, slots=True)
class StageRules:
    """Thresholds for lead -> MQL -> SQL."""

    mql_score: int = 50
    sql: SqlCriteria = field(default_factory=SqlCriteria)


@dataclass(frozen=True, slots=True)
class Qualification:
    """What the rules look at, already reduced from the lead's slots by the dialog layer."""

    score: int
    budget_amount: int | None = None  # best stated amount (max of the range), IDR
    budget_path: bool = False  # pending approval, flexible, wants a quote
    no_budget: bool = False
    authority_role: str | None = None
    need_level: str | None = None
    months_to_start: float | None = None
    demo_requested: bool = False
    opted_out: bool = False
    not_qualified: bool = False  # the conversation ended with no fit


def unmet_sql_criteria(facts: Qualification, rules: StageRules) -> list[str]:
    """The SQL criteria this lead does not meet yet, by name (empty: it qualifies)."""
    sql = rules.sql
    missing: list[str] = []
    if facts.score < sql.min_score:
        missing.append("score")
    if facts.no_budget:
        missing.append("budget")
    elif facts.budget_amount is not None:
        if sql.budget_min is not None and facts.budget_amount < sql.budget_min:
            missing.append("budget")
    elif not (sql.budget_path_ok and facts.budget_path):
        missing.append("budget")
    if sql.authority and facts.authority_role not in sql.authority:
        missing.append("authority")
    if sql.need and facts.need_level not in sql.need:
        missing.append("need")
    if sql.timeline_max_months is not None and (
        facts.months_to_start is None or facts.months_to_start > sql.timeline_max_months
    ):
        missing.append("timeline")
    return missing


def qualifies_for(facts: Qualification, rules: StageRules) -> Stage:
    """The highest qualification stage these facts earn on their own."""
    if facts.opted_out:
        return Stage.OPTED_OUT
    if facts.not_qualified:
        return Stage.NOT_QUALIFIED
    if not unmet_sql_criteria(facts, rules):
        return Stage.SQL
    fast = rules.sql.demo_fast_track_score
    fits = facts.authority_role in rules.sql.authority and not facts.no_budget
    if facts.demo_requested and fast is not None and facts.score >= fast and fits:
        return Stage.SQL
    if facts.score >= rules.mql_score:
        return Stage.MQL
    return Stage.LEAD


def next_stage(current: Stage, facts: Qualification, rules: StageRules) -> Stage | None:
    """The stage to move to, or None. Moves only forward, so each change is emitted once."""
    earned = qualifies_for(facts, rules)
    if earned is Stage.OPTED_OUT:
        return None if current is Stage.OPTED_OUT else Stage.OPTED_OUT
    if earned is Stage.NOT_QUALIFIED:
        # a lead sales already has keeps its stage; the handoff's notice says what changed
        return Stage.NOT_QUALIFIED if current in (Stage.LEAD, Stage.NURTURE, Stage.MQL) else None
    if current not in _RANK or earned not in _RANK:
        return None
    return earned if _RANK[earned] > _RANK[current] else None


def stage_path(stages: Iterable[Stage]) -> str:
    """`lead -> mql -> sql`, for logs and summaries."""
    return " -> ".join(stage.value for stage in stages)
