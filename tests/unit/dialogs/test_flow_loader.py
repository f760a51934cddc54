from pathlib import Path

import pytest

from dialogs import BUNDLED_FLOW, FlowErrors, flow_from_text, load_flow

VALID = """\
id: mini
start: budget
questions:
  - id: budget
    slot: budget
    kind: money
    prompt: {id: Anggaran, en: Budget}
    next: size
  - id: size
    slot: size
    kind: choice
    prompt: {id: Ukuran, en: Size}
    options:
      - {id: small, label: {id: Kecil, en: Small}, points: 5}
      - {id: big, label: {id: Besar, en: Big}, points: 10}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(FlowErrors) as caught:
        flow_from_text(text, source="mini.yaml")
    return [str(e) for e in caught.value.errors]


def test_bundled_flow_is_valid_and_bilingual() -> None:
    flow = load_flow(BUNDLED_FLOW)

    assert flow.id == "bant"
    assert all(set(q.prompt) >= {"id", "en"} for q in flow.questions.values())


def test_valid_flow_compiles_option_points_into_fit_rules() -> None:
    flow = flow_from_text(VALID)

    assert [(r.attribute, r.equals, r.points) for r in flow.fit_rules] == [
        ("size", "small", 5),
        ("size", "big", 10),
    ]


def test_wrong_type_names_question_field_and_line() -> None:
    text = VALID.replace("points: 10}", "points: lots}")

    assert errors_of(text) == [
        "mini.yaml:15: questions[1](size).options[1](big).points: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_missing_language_is_reported_at_the_prompt_line() -> None:
    text = VALID.replace("prompt: {id: Anggaran, en: Budget}", "prompt: {id: Anggaran}")

    assert errors_of(text) == [
        "mini.yaml:7: questions[0](budget).prompt: needs text in every language; missing: en"
    ]


def test_unknown_next_question_is_reported() -> None:
    text = VALID.replace("next: size", "next: sise")

    assert errors_of(text) == [
        "mini.yaml:8: questions[0](budget).next: unknown question 'sise' (or 'end')"
    ]


def test_cycle_without_exit_is_reported() -> None:
    text = VALID + "    next: budget\n"

    assert "cycle with no way to the end" in "\n".join(errors_of(text))


def test_yaml_syntax_error_points_at_its_line() -> None:
    text = VALID.replace("kind: money", "kind: [money")

    (error,) = errors_of(text)
    assert error.startswith("mini.yaml:")
    assert "(yaml)" in error


def test_unreadable_file_is_a_flow_error(tmp_path: Path) -> None:
    with pytest.raises(FlowErrors, match="cannot read"):
        load_flow(tmp_path / "missing.yaml")
