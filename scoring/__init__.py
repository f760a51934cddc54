"""Scoring: the ledger, decay, bands, stages and rules. Pure: no I/O, no clock."""

from scoring.bands import Band, BandThresholds, band_of
from scoring.decay import decayed
from scoring.errors import ScoringError
from scoring.events import EventKind, ScoreEvent
from scoring.ledger import Score, ScoreLine, ScorePolicy, live_events, score
from scoring.rules import (
    DEFAULT_ENGAGEMENT_POINTS,
    Attribute,
    Engagement,
    FitRule,
    engagement_event,
    fit_events,
)
from scoring.stages import (
    Qualification,
    SqlCriteria,
    Stage,
    StageRules,
    next_stage,
    qualifies_for,
    unmet_sql_criteria,
)

__all__ = [
    "DEFAULT_ENGAGEMENT_POINTS",
    "Attribute",
    "Band",
    "BandThresholds",
    "Engagement",
    "EventKind",
    "FitRule",
    "Qualification",
    "Score",
    "ScoreEvent",
    "ScoreLine",
    "ScorePolicy",
    "ScoringError",
    "SqlCriteria",
    "Stage",
    "StageRules",
    "band_of",
    "decayed",
    "engagement_event",
    "fit_events",
    "live_events",
    "next_stage",
    "qualifies_for",
    "score",
    "unmet_sql_criteria",
]
