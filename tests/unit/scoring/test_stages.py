from scoring import Qualification, SqlCriteria, Stage, StageRules, next_stage, unmet_sql_criteria

RULES = StageRules(mql_score=50, sql=SqlCriteria(min_score=65, budget_min=5_000_000))
QUALIFIED = Qualification(
    score=70,
    budget_amount=50_000_000,
    authority_role="decision_maker",
    need_level="high",
    months_to_start=1.0,
)


def test_all_bant_criteria_and_score_make_an_sql() -> None:
    assert next_stage(Stage.LEAD, QUALIFIED, RULES) is Stage.SQL


def test_score_alone_makes_an_mql() -> None:
    facts = Qualification(score=55)

    assert next_stage(Stage.LEAD, facts, RULES) is Stage.MQL


def test_stage_change_is_emitted_once() -> None:
    assert next_stage(Stage.SQL, QUALIFIED, RULES) is None
    assert next_stage(Stage.MQL, Qualification(score=55), RULES) is None


def test_stages_never_move_backwards() -> None:
    assert next_stage(Stage.SQL, Qualification(score=10), RULES) is None


def test_sales_stages_are_left_to_sales() -> None:
    assert next_stage(Stage.ACCEPTED, QUALIFIED, RULES) is None


def test_budget_below_minimum_blocks_sql() -> None:
    facts = Qualification(
        score=90,
        budget_amount=1_000_000,
        authority_role="decision_maker",
        need_level="high",
        months_to_start=1.0,
    )

    assert unmet_sql_criteria(facts, RULES) == ["budget"]
    assert next_stage(Stage.LEAD, facts, RULES) is Stage.MQL


def test_a_path_to_budget_counts_as_budget() -> None:
    facts = Qualification(
        score=70,
        budget_path=True,
        authority_role="influencer",
        need_level="medium",
        months_to_start=2.0,
    )

    assert next_stage(Stage.LEAD, facts, RULES) is Stage.SQL


def test_distant_timeline_blocks_sql() -> None:
    facts = Qualification(
        score=90,
        budget_amount=50_000_000,
        authority_role="decision_maker",
        need_level="high",
        months_to_start=9.0,
    )

    assert unmet_sql_criteria(facts, RULES) == ["timeline"]


def test_demo_request_from_good_fit_lead_qualifies_directly() -> None:
    facts = Qualification(score=50, authority_role="decision_maker", demo_requested=True)

    assert next_stage(Stage.LEAD, facts, RULES) is Stage.SQL


def test_demo_request_without_authority_does_not_fast_track() -> None:
    facts = Qualification(score=50, authority_role="researcher", demo_requested=True)

    assert next_stage(Stage.LEAD, facts, RULES) is Stage.MQL


def test_opting_out_is_a_stage_change_once() -> None:
    facts = Qualification(score=0, opted_out=True)

    assert next_stage(Stage.MQL, facts, RULES) is Stage.OPTED_OUT
    assert next_stage(Stage.OPTED_OUT, facts, RULES) is None
