"""The flow editor's form: the fields an admin edits most, read from and written back to the
flow's YAML. Whatever the form does not show (extractor kinds, point rules, texts) is kept as
it was; the YAML tab edits everything. Writing from the form re-serialises the YAML, so
comments survive only edits made in the YAML tab.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

LANGS = ("id", "en")


@dataclass(frozen=True, slots=True)
class OptionFields:
    id: str
    label: dict[str, str]
    synonyms: str
    points: int


@dataclass(frozen=True, slots=True)
class QuestionFields:
    id: str
    slot: str
    kind: str
    prompt: dict[str, str]
    reask: dict[str, str]
    retries: int | str
    options: list[OptionFields]
    branches: str  # the question's branches as YAML (conditions are structured)
    next: str


@dataclass(frozen=True, slots=True)
class FlowFields:
    """The editable part of a flow, as the form shows it."""

    questions: list[QuestionFields]
    thresholds: dict[str, Any] = field(default_factory=dict)


def _texts(value: object) -> dict[str, str]:
    found = value if isinstance(value, dict) else {}
    return {lang: str(found.get(lang, "") or "") for lang in LANGS}


def fields_of(source: str) -> FlowFields | None:
    """The form's fields of a flow's YAML; None if the YAML is not a flow-shaped mapping."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return None
    questions = []
    for q in data["questions"]:
        if not isinstance(q, dict):
            continue
        options = [
            OptionFields(
                id=str(o.get("id", "")),
                label=_texts(o.get("label")),
                synonyms=", ".join(str(s) for s in o.get("synonyms", []) or []),
                points=int(o.get("points", 0) or 0),
            )
            for o in q.get("options", []) or []
            if isinstance(o, dict)
        ]
        branches = q.get("branches") or []
        questions.append(
            QuestionFields(
                id=str(q.get("id", "")),
                slot=str(q.get("slot", "")),
                kind=str(q.get("kind", "")),
                prompt=_texts(q.get("prompt")),
                reask=_texts(q.get("reask")),
                retries=q.get("retries", 2),
                options=options,
                branches=yaml.safe_dump(branches, allow_unicode=True, sort_keys=False)
                if branches
                else "",
                next=str(q.get("next") or ""),
            )
        )
    stages = data.get("stages") or {}
    sql = stages.get("sql") or {} if isinstance(stages, dict) else {}
    bands = (data.get("scoring") or {}).get("bands") or {}
    return FlowFields(
        questions=questions,
        thresholds={
            "mql_score": stages.get("mql_score", 50) if isinstance(stages, dict) else 50,
            "sql_min_score": sql.get("min_score", 65) if isinstance(sql, dict) else 65,
            "hot": bands.get("hot", 80) if isinstance(bands, dict) else 80,
            "warm": bands.get("warm", 50) if isinstance(bands, dict) else 50,
        },
    )


def _number(value: str) -> int | str:
    """A number field: an int when it is one; otherwise the text, for validation to name."""
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        return text


def apply_form(source: str, form: Mapping[str, str]) -> str:
    """The flow's YAML with the form's values written into it.

    Field names: `q{i}.prompt.id`, `q{i}.reask.en`, `q{i}.retries`, `q{i}.next`,
    `q{i}.branches` (YAML), `q{i}.o{j}.id|label.id|label.en|synonyms|points` (an option
    with an empty id is removed; the blank row adds one), and the thresholds `mql_score`,
    `sql_min_score`, `hot`, `warm`."""
    data: dict[str, Any] = yaml.safe_load(source)
    for i, q in enumerate(data.get("questions") or []):
        prefix = f"q{i}."
        if f"{prefix}prompt.id" not in form:
            continue
        q["prompt"] = {lang: form.get(f"{prefix}prompt.{lang}", "").strip() for lang in LANGS}
        reask = {lang: form.get(f"{prefix}reask.{lang}", "").strip() for lang in LANGS}
        if any(reask.values()):
            q["reask"] = reask
        else:
            q.pop("reask", None)
        q["retries"] = _number(form.get(f"{prefix}retries", "2"))
        nxt = form.get(f"{prefix}next", "").strip()
        if nxt:
            q["next"] = nxt
        else:
            q.pop("next", None)
        branches_text = form.get(f"{prefix}branches", "").strip()
        if branches_text:
            try:
                q["branches"] = yaml.safe_load(branches_text)
            except yaml.YAMLError:
                q["branches"] = branches_text  # the validator names it as not a list
        else:
            q.pop("branches", None)
        options = []
        old = {str(o.get("id")): o for o in q.get("options") or [] if isinstance(o, dict)}
        j = 0
        while f"{prefix}o{j}.id" in form:
            option_id = form.get(f"{prefix}o{j}.id", "").strip()
            if option_id:
                option = dict(old.get(option_id, {}))
                option["id"] = option_id
                option["label"] = {
                    lang: form.get(f"{prefix}o{j}.label.{lang}", "").strip() for lang in LANGS
                }
                synonyms = [s.strip() for s in form.get(f"{prefix}o{j}.synonyms", "").split(",")]
                option["synonyms"] = [s for s in synonyms if s]
                option["points"] = _number(form.get(f"{prefix}o{j}.points", "0") or "0")
                if not option["synonyms"]:
                    option.pop("synonyms")
                if option["points"] == 0:
                    option.pop("points")
                options.append(option)
            j += 1
        if options or q.get("options"):
            q["options"] = options
    if "mql_score" in form:
        stages = data.setdefault("stages", {})
        stages["mql_score"] = _number(form["mql_score"])
        stages.setdefault("sql", {})["min_score"] = _number(form.get("sql_min_score", "65"))
        bands = data.setdefault("scoring", {}).setdefault("bands", {})
        bands["hot"] = _number(form.get("hot", "80"))
        bands["warm"] = _number(form.get("warm", "50"))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
