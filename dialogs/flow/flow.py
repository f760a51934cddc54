"""Flow: a validated flow document compiled for the engine (lookups and matchers built once)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dialogs.extract import ChoiceCandidate
from dialogs.flow.loader import load_document, parse_flow
from dialogs.flow.schema import WEEKDAYS, FlowDocument, Question
from dialogs.hours import WorkingHours
from dialogs.texts import render_text
from scoring import (
    DEFAULT_ENGAGEMENT_POINTS,
    BandThresholds,
    Engagement,
    FitRule,
    ScorePolicy,
    SqlCriteria,
    StageRules,
)

BUNDLED_FLOW = Path(__file__).resolve().parent.parent / "flows" / "bant.yaml"


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow ready to run: questions by id, choice matchers, scoring and stage rules."""

    document: FlowDocument
    questions: Mapping[str, Question]
    order: tuple[str, ...]
    candidates: Mapping[str, tuple[ChoiceCandidate, ...]]
    fit_rules: tuple[FitRule, ...]
    rules_by_slot: Mapping[str, tuple[FitRule, ...]]  # slot -> the fit rules that read it
    policy: ScorePolicy
    stage_rules: StageRules
    engagement_points: Mapping[Engagement, int]
    hours: WorkingHours

    @property
    def id(self) -> str:
        return self.document.id

    @property
    def version(self) -> int:
        return self.document.version

    @property
    def scoring_base(self) -> int:
        return self.document.scoring.base

    @property
    def sla(self) -> timedelta:
        return timedelta(minutes=self.document.sla_minutes)

    def text(self, key: str, language: str, **fields: str) -> str:
        """A system text in the prospect's language (flow override or built-in)."""
        return render_text(key, language, self.document.texts, **fields)

    def question_for_slot(self, slot: str) -> Question | None:
        return next((q for q in self.questions.values() if q.slot == slot), None)

    @classmethod
    def compile(cls, document: FlowDocument) -> "Flow":
        scoring = document.scoring
        sql = document.stages.sql
        rules = _fit_rules(document)
        engagement = dict(DEFAULT_ENGAGEMENT_POINTS)
        for name, points in scoring.engagement.items():
            engagement[Engagement(name)] = points
        return cls(
            document=document,
            questions={q.id: q for q in document.questions},
            order=tuple(q.id for q in document.questions),
            candidates={
                q.id: tuple(
                    ChoiceCandidate(o.id, (*o.label.values(), *o.synonyms)) for o in q.options
                )
                for q in document.questions
                if q.options
            },
            fit_rules=rules,
            rules_by_slot={
                slot: tuple(r for r in rules if r.attribute.split(".")[0] == slot)
                for slot in {r.attribute.split(".")[0] for r in rules}
            },
            policy=ScorePolicy(
                half_life=timedelta(days=scoring.half_life_days),
                base=scoring.base,
                thresholds=BandThresholds(hot=scoring.bands.hot, warm=scoring.bands.warm),
            ),
            stage_rules=StageRules(
                mql_score=document.stages.mql_score,
                sql=SqlCriteria(
                    min_score=sql.min_score,
                    budget_min=sql.budget_min,
                    budget_path_ok=sql.budget_path_ok,
                    authority=frozenset(sql.authority),
                    need=frozenset(sql.need),
                    timeline_max_months=sql.timeline_max_months,
                    demo_fast_track_score=sql.demo_fast_track_score,
                ),
            ),
            engagement_points=engagement,
            hours=WorkingHours(
                days=frozenset(WEEKDAYS.index(day) for day in document.working_hours.days),
                start=document.working_hours.start,
                end=document.working_hours.end,
                holidays=document.working_hours.holidays,
            ),
        )


def _fit_rules(document: FlowDocument) -> tuple[FitRule, ...]:
    """Option points, per-question point rules and the scoring section, as one rule list."""
    rules: list[FitRule] = []
    for q in document.questions:
        rules.extend(
            FitRule(
                id=f"{q.id}.{option.id}",
                attribute=q.slot,
                points=option.points,
                reason=f"{q.slot}: {option.label.get('en', option.id)}",
                equals=option.id,
            )
            for option in q.options
            if option.points
        )
        rules.extend(
            FitRule(
                id=f"{q.id}.{rule.id}",
                attribute=f"{q.slot}.{rule.field}" if rule.field else q.slot,
                points=rule.points,
                reason=rule.reason,
                equals=rule.equals,
                one_of=rule.one_of,
                min=rule.min,
                max=rule.max,
            )
            for rule in q.points
        )
    rules.extend(
        FitRule(
            id=rule.id,
            attribute=rule.attribute,
            points=rule.points,
            reason=rule.reason or rule.id,
            equals=rule.equals,
            one_of=rule.one_of,
            min=rule.min,
            max=rule.max,
        )
        for rule in document.scoring.rules
    )
    return tuple(rules)


def load_flow(path: str | Path = BUNDLED_FLOW) -> Flow:
    """Load, validate and compile a flow file (the bundled BANT flow by default)."""
    return Flow.compile(load_document(path))


def flow_from_text(text: str, source: str = "<flow>") -> Flow:
    """Validate and compile flow YAML held in memory (the admin editor, the database)."""
    return Flow.compile(parse_flow(text, source))
