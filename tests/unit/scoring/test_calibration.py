"""Calibration on generated leads whose true effects are known, and on bad outcome data."""

import itertools

import numpy as np
import pandas as pd
import pytest
from make_leads import TRUE_EFFECTS

from scoring import Attribute, BandThresholds, FitRule, ScoringError
from scoring.calibration import (
    Calibration,
    attribute_values,
    calibrate,
    evaluate_points,
    parse_outcome,
    points_scores,
    suggest_thresholds,
)


def points_for(rules: tuple[FitRule, ...], attribute: str, value: Attribute) -> int:
    return sum(
        rule.points for rule in rules if rule.attribute == attribute and rule.matches(value)
    )


@pytest.mark.parametrize("attribute", ["lead_source", "industry", "role", "asked_demo"])
def test_fitted_points_have_the_signs_of_the_true_effects(
    fitted: Calibration, attribute: str
) -> None:
    strong = {level: e for level, e in TRUE_EFFECTS[attribute].items() if abs(e) >= 0.5}

    signs = {level: np.sign(points_for(fitted.rules, attribute, level)) for level in strong}

    assert signs == {level: np.sign(effect) for level, effect in strong.items()}


@pytest.mark.parametrize("attribute", ["lead_source", "industry", "role"])
def test_fitted_points_order_levels_like_the_true_effects(
    fitted: Calibration, attribute: str
) -> None:
    effects = TRUE_EFFECTS[attribute]
    # Levels whose true effects are close may swap by chance; clearly different ones may not.
    pairs = [
        (a, b) for a, b in itertools.permutations(effects, 2) if effects[a] - effects[b] >= 0.5
    ]

    wrong = [
        (a, b)
        for a, b in pairs
        if points_for(fitted.rules, attribute, a) <= points_for(fitted.rules, attribute, b)
    ]

    assert pairs
    assert wrong == []


def test_role_points_follow_the_true_order_exactly(fitted: Calibration) -> None:
    effects = TRUE_EFFECTS["role"]

    by_points = sorted(effects, key=lambda level: points_for(fitted.rules, "role", level))

    assert by_points == sorted(effects, key=lambda level: effects[level])


@pytest.mark.parametrize(
    ("attribute", "probes", "rising"),
    [
        ("company_size", [5, 30, 80, 200, 1000], True),
        ("budget_idr", [5e6, 2e7, 4e7, 8e7, 3e8], True),
        ("timeline_months", [1, 3, 6, 12], False),
    ],
)
def test_numeric_points_move_with_the_value_like_the_true_effect(
    fitted: Calibration, attribute: str, probes: list[float], rising: bool
) -> None:
    points = [points_for(fitted.rules, attribute, float(value)) for value in probes]

    steps = np.diff(points) if rising else -np.diff(points)

    assert (steps >= 0).all(), points
    assert points[-1] != points[0]


def test_attribute_without_effect_gets_less_than_any_real_effect(fitted: Calibration) -> None:
    city = [abs(points_for(fitted.rules, "city", c)) for c in TRUE_EFFECTS["city"]]
    real = [
        abs(points_for(fitted.rules, attribute, level))
        for attribute in ("industry", "role", "lead_source")
        for level, effect in TRUE_EFFECTS[attribute].items()
        if abs(effect) >= 0.6
    ]

    assert max(city) < min(real)


def test_band_conversion_rises_from_cold_to_warm_to_hot(fitted: Calibration) -> None:
    for table in (fitted.evaluation.bands, fitted.evaluation.suggested):
        cold, warm, hot = table.cold.conversion, table.warm.conversion, table.hot.conversion

        assert cold is not None
        assert warm is not None
        assert hot is not None
        assert cold < warm < hot


def test_suggested_thresholds_put_a_fifth_in_hot_and_half_in_hot_or_warm(
    fitted: Calibration,
) -> None:
    suggested = fitted.evaluation.suggested

    assert suggested.hot.share == pytest.approx(0.2, abs=0.03)
    assert suggested.hot.share + suggested.warm.share == pytest.approx(0.5, abs=0.03)


def test_points_table_ranks_as_well_as_the_unrounded_model(fitted: Calibration) -> None:
    evaluation = fitted.evaluation

    assert evaluation.auc == pytest.approx(np.mean(fitted.fold_aucs))
    assert evaluation.auc >= fitted.model_auc - 0.01
    assert 0.75 < evaluation.auc < 0.9
    assert 0 < evaluation.auc_sd < 0.05
    assert evaluation.calibration_error < 0.08


def test_scores_on_the_0_to_100_scale_track_conversion(
    fitted: Calibration, leads: pd.DataFrame
) -> None:
    columns = {name: attribute_values(leads[name]) for name in leads.columns}

    scores = points_scores(fitted.base, fitted.rules, columns, len(leads))

    assert scores.min() >= 0
    assert scores.max() <= 100
    assert scores.mean() == pytest.approx(100 * leads["converted"].mean(), abs=5)


def test_rare_levels_are_pooled_into_one_rule(fitted: Calibration) -> None:
    pooled = [rule for rule in fitted.rules if rule.one_of]

    assert [rule.attribute for rule in pooled] == ["lead_source"]
    assert set(pooled[0].one_of) == {"podcast", "partner_webinar"}


def test_id_column_gets_no_rule_and_a_note(fitted: Calibration) -> None:
    assert not [rule for rule in fitted.rules if rule.attribute == "lead_id"]
    assert any("lead_id" in warning for warning in fitted.evaluation.warnings)


def test_planted_leaky_column_is_named_with_the_exclude_advice(leads: pd.DataFrame) -> None:
    result = calibrate(leads.head(1500), "converted", folds=3)

    leaks = [w for w in result.evaluation.warnings if "leakage" in w]
    assert leaks
    assert all("--exclude call_status" in warning for warning in leaks)


def test_no_leakage_warning_for_honest_attributes(fitted: Calibration) -> None:
    assert not [w for w in fitted.evaluation.warnings if "leakage" in w]


def test_evaluating_the_learned_table_gives_about_the_cross_validated_auc(
    fitted: Calibration, leads: pd.DataFrame
) -> None:
    report = evaluate_points(leads, "converted", fitted.base, fitted.rules)

    assert report.auc == pytest.approx(fitted.evaluation.auc, abs=0.02)
    assert report.rows == len(leads)
    assert report.bands.cold.rows + report.bands.warm.rows + report.bands.hot.rows == len(leads)


def test_evaluating_a_rule_on_an_absent_column_warns_and_scores_the_rest(
    leads: pd.DataFrame,
) -> None:
    rules = (
        FitRule(
            id="demo", attribute="asked_demo", points=30, reason="asked for a demo", equals="yes"
        ),
        FitRule(id="ghost", attribute="no_such_column", points=10, reason="never there", equals=1),
    )

    report = evaluate_points(leads, "converted", 30, rules)

    assert report.auc > 0.55
    assert [w for w in report.warnings if "ghost" in w and "'no_such_column'" in w]


@pytest.mark.parametrize(
    ("yes", "no"),
    [(1, 0), ("1", "0"), ("TRUE", "false"), ("Yes", "no"), ("won", "Lost"),
     ("Converted", "not converted"), (True, False)],
)  # fmt: skip
def test_outcome_words_are_read_as_converted_or_not(yes: object, no: object) -> None:
    column = pd.Series([yes, no, None, yes], dtype=object, name="outcome")

    outcome = parse_outcome(column)

    assert outcome[[0, 1, 3]].tolist() == [1.0, 0.0, 1.0]
    assert np.isnan(outcome[2])


def test_non_binary_outcome_lists_the_bad_values() -> None:
    column = pd.Series(["won", "lost", "pending", "maybe", "pending"], name="status")

    with pytest.raises(ScoringError, match=r"'status' is not a binary outcome: 'pending' \(2x\)"):
        parse_outcome(column)


def test_too_few_positives_says_how_many_are_needed(leads: pd.DataFrame) -> None:
    few = pd.concat([leads[leads["converted"] == 0], leads[leads["converted"] == 1].head(7)])

    with pytest.raises(ScoringError, match=r"need at least 10 converted .* have 7 and"):
        calibrate(few, "converted", folds=5)


def test_more_folds_need_more_positives(leads: pd.DataFrame) -> None:
    few = pd.concat([leads[leads["converted"] == 0], leads[leads["converted"] == 1].head(15)])

    with pytest.raises(ScoringError, match="need at least 16 converted"):
        calibrate(few, "converted", folds=8)


def test_missing_target_column_names_the_columns_there_are(leads: pd.DataFrame) -> None:
    with pytest.raises(ScoringError, match=r"no column 'won' .*lead_source"):
        calibrate(leads, "won")


def test_excluding_an_unknown_column_is_an_error(leads: pd.DataFrame) -> None:
    with pytest.raises(ScoringError, match="cannot exclude call_stats: no such column"):
        calibrate(leads, "converted", exclude=["call_stats"])


def test_rows_without_outcome_are_left_out_with_a_note(leads: pd.DataFrame) -> None:
    frame = leads.drop(columns=["call_status"]).head(600).astype({"converted": "float64"})
    frame.loc[:49, "converted"] = np.nan

    result = calibrate(frame, "converted", folds=3)

    assert result.evaluation.rows == 550
    assert any("50 rows have no outcome" in warning for warning in result.evaluation.warnings)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (list(range(100)), BandThresholds(hot=80, warm=50)),
        ([40] * 10, BandThresholds()),
        ([0] * 9 + [1], BandThresholds(hot=1, warm=0)),
    ],
    ids=["uniform", "all-equal", "almost-all-zero"],
)
def test_suggested_thresholds_split_top_fifth_and_next_three_tenths(
    scores: list[int], expected: BandThresholds
) -> None:
    assert suggest_thresholds(np.array(scores, dtype=np.int64)) == expected
