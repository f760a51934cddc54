"""The flow editor's form: what it shows of a flow, and the YAML it writes back."""

import yaml

from bot.admin.flow_form import apply_form, fields_of
from dialogs import BUNDLED_FLOW, flow_from_text

SOURCE = BUNDLED_FLOW.read_text(encoding="utf-8")


def form_for(source: str) -> dict[str, str]:
    """Every field as the page fills it in, unchanged."""
    fields = fields_of(source)
    assert fields is not None
    form = {
        "mql_score": str(fields.thresholds["mql_score"]),
        "sql_min_score": str(fields.thresholds["sql_min_score"]),
        "hot": str(fields.thresholds["hot"]),
        "warm": str(fields.thresholds["warm"]),
    }
    for i, q in enumerate(fields.questions):
        for lang in ("id", "en"):
            form[f"q{i}.prompt.{lang}"] = q.prompt[lang]
            form[f"q{i}.reask.{lang}"] = q.reask[lang]
        form[f"q{i}.retries"] = str(q.retries)
        form[f"q{i}.next"] = q.next
        form[f"q{i}.branches"] = q.branches
        for j, o in enumerate([*q.options, None]):
            form[f"q{i}.o{j}.id"] = o.id if o else ""
            form[f"q{i}.o{j}.label.id"] = o.label["id"] if o else ""
            form[f"q{i}.o{j}.label.en"] = o.label["en"] if o else ""
            form[f"q{i}.o{j}.synonyms"] = o.synonyms if o else ""
            form[f"q{i}.o{j}.points"] = str(o.points) if o else "0"
    return form


def question(source: str, question_id: str) -> dict[str, object]:
    found: dict[str, object] = next(
        q for q in yaml.safe_load(source)["questions"] if q["id"] == question_id
    )
    return found


def test_an_unchanged_form_keeps_the_flow_as_it_was() -> None:
    written = apply_form(SOURCE, form_for(SOURCE))

    assert flow_from_text(written).document == flow_from_text(SOURCE).document


def test_options_are_edited_added_and_removed() -> None:
    form = form_for(SOURCE)
    fields = fields_of(SOURCE)
    assert fields is not None
    index, size = next((i, q) for i, q in enumerate(fields.questions) if q.id == "company_size")
    form[f"q{index}.o0.id"] = ""  # remove 1-10
    form[f"q{index}.o1.points"] = "9"
    form[f"q{index}.o1.synonyms"] = "kecil, menengah"
    blank = len(size.options)  # the empty row after the options
    form[f"q{index}.o{blank}.id"] = "s5000_plus"
    form[f"q{index}.o{blank}.label.id"] = "5000+"
    form[f"q{index}.o{blank}.label.en"] = "5000+"

    written = apply_form(SOURCE, form)

    options = question(written, "company_size")["options"]
    assert isinstance(options, list)
    assert options[0]["id"] == "s11_50"
    assert options[0]["points"] == 9
    assert options[0]["synonyms"] == ["kecil", "menengah"]
    assert options[0]["min"] == 11  # what the form does not show is kept
    assert options[-1] == {"id": "s5000_plus", "label": {"id": "5000+", "en": "5000+"}}
    flow_from_text(written)  # still a valid flow


def test_thresholds_and_prompts_are_written() -> None:
    form = form_for(SOURCE)
    form["mql_score"] = "45"
    form["hot"] = "85"
    form["q1.prompt.en"] = "Who are you?"

    written = yaml.safe_load(apply_form(SOURCE, form))

    assert written["stages"]["mql_score"] == 45
    assert written["scoring"]["bands"]["hot"] == 85
    assert written["questions"][1]["prompt"]["en"] == "Who are you?"


def test_yaml_that_is_not_a_flow_has_no_form() -> None:
    assert fields_of("- a list\n") is None
    assert fields_of("key: [unclosed\n") is None
