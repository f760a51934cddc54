"""`qualibot calibrate` and `qualibot scoring report` through the real command line."""

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.calibrate import read_scoring_section
from bot.cli import main
from dialogs import BUNDLED_FLOW, flow_from_text


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_calibrate_json_has_the_documented_shape(
    leads_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted",
        "--exclude", "call_status", "--exclude", "lead_id", "--json",
    )  # fmt: skip

    report = json.loads(out)
    assert code == 0
    assert {"auc", "auc_sd", "bands", "points", "base", "warnings"} <= set(report)
    assert set(report["bands"]) == {"hot", "warm", "cold"}
    assert all(set(band) == {"share", "conversion"} for band in report["bands"].values())
    assert sum(band["share"] for band in report["bands"].values()) == pytest.approx(1)
    assert all(isinstance(points, int) for points in report["points"].values())
    assert isinstance(report["base"], int)
    assert 0.75 < report["auc"] < 0.9
    assert report["warnings"] == []
    assert report["top_up"][0]["points"] == max(report["points"].values())
    assert report["top_down"][0]["points"] == min(report["points"].values())


def test_calibrate_prints_the_band_table_and_the_points(
    leads_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted",
        "--exclude", "call_status", "--folds", "3",
    )  # fmt: skip

    assert code == 0
    assert "AUC of the points table" in out
    assert "Hot (>= 80)" in out
    assert "Suggested bands" in out
    assert "asked_demo = yes" in out
    assert "Pushing down:" in out


def test_written_table_loads_back_and_reports_about_the_same_auc(
    leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules_file = tmp_path / "rules.yaml"
    code, out, _ = run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted",
        "--exclude", "call_status", "--write", rules_file, "--json",
    )  # fmt: skip
    learned = json.loads(out)

    base, rules, _ = read_scoring_section(rules_file.read_text(encoding="utf-8"))
    report_code, report_out, _ = run(
        capsys, "scoring", "report", "--outcomes", leads_csv, "--target", "converted",
        "--flow", rules_file, "--json",
    )  # fmt: skip
    report = json.loads(report_out)

    assert (code, report_code) == (0, 0)
    assert base == learned["base"]
    assert {rule.id: rule.points for rule in rules} == learned["points"]
    assert any(rule.one_of for rule in rules)
    assert any(rule.min is not None and rule.max is not None for rule in rules)
    assert report["auc"] == pytest.approx(learned["auc"], abs=0.02)
    assert set(report["bands"]) == {"hot", "warm", "cold"}


def test_written_text_values_stay_text_when_read_back(
    leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules_file = tmp_path / "rules.yaml"
    run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted",
        "--exclude", "call_status", "--write", rules_file, "--folds", "3",
    )  # fmt: skip

    _, rules, _ = read_scoring_section(rules_file.read_text(encoding="utf-8"))

    demo = [rule for rule in rules if rule.attribute == "asked_demo"]
    assert [rule.equals for rule in demo] == ["yes"]  # not YAML's boolean `yes`


def test_leaky_column_is_named_in_the_json_warnings(
    leads_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted", "--folds", "3",
        "--json",
    )  # fmt: skip

    warnings = json.loads(out)["warnings"]
    assert code == 0
    assert any("call_status" in w and "--exclude call_status" in w for w in warnings)


def _write(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def _few_positives(path: Path) -> None:
    rows = ["industry,won", *(f"retail,{int(i < 4)}" for i in range(60))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _binary(path: Path) -> None:
    path.write_bytes(bytes(range(128, 256)) * 4)


def _absent(path: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_absent, "no such file"),
        (_write(""), "is empty"),
        (_binary, "cannot read"),
        (_write("industry,converted\nretail,1\n"), "no column 'won'"),
        (_write("industry,won\nretail,yes\nretail,pending\n"), "'pending' (1x)"),
        (_write("industry,won\n"), "have 0 and 0"),
        (_few_positives, "need at least 10 converted and 10 not converted rows, have 4 and 56"),
    ],
    ids=["missing", "empty", "binary", "no-target", "not-binary", "header-only", "few-positives"],
)
def test_unusable_outcomes_give_one_clear_line_and_exit_2(
    make: Callable[[Path], None],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "outcomes.csv"
    make(path)

    code, out, err = run(capsys, "calibrate", "--outcomes", path, "--target", "won")

    assert code == 2
    assert out == ""
    assert err.startswith("qualibot calibrate: error: ")
    assert expected in err
    assert err.count("\n") == 1


def test_excluding_an_unknown_column_exits_2(
    leads_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted",
        "--exclude", "nope",
    )  # fmt: skip

    assert code == 2
    assert "cannot exclude nope: no such column" in err


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (None, "no flow file"),
        ("scoring:\n  rules:\n    - {id: x, attribute: a, pointz: 3}\n", "pointz"),
        ("scoring: [unclosed\n", "cannot read"),
    ],
    ids=["missing", "bad-rule", "bad-yaml"],
)
def test_report_on_an_unusable_flow_exits_2(
    flow: str | None, expected: str, leads_csv: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "flow.yaml"
    if flow is not None:
        path.write_text(flow, encoding="utf-8")

    code, out, err = run(
        capsys, "scoring", "report", "--outcomes", leads_csv, "--target", "converted",
        "--flow", path,
    )  # fmt: skip

    assert code == 2
    assert out == ""
    assert err.startswith("qualibot scoring report: error: ")
    assert expected in err
    assert err.count("\n") == 1


def test_report_prints_auc_and_bands_of_hand_set_points(
    leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "rules.yaml"
    flow.write_text(
        "scoring:\n  base: 30\n  rules:\n"
        '    - {id: demo, attribute: asked_demo, equals: "yes", points: 30, reason: demo}\n'
        "    - {id: owner, attribute: role, one_of: [owner, director], points: 20}\n"
        "    - {id: big, attribute: company_size, min: 200, points: 10, reason: big}\n",
        encoding="utf-8",
    )

    code, out, _ = run(
        capsys, "scoring", "report", "--outcomes", leads_csv, "--target", "converted",
        "--flow", flow,
    )  # fmt: skip

    assert code == 0
    assert "base 30, 3 rules" in out
    assert "Hot (>= 80)" in out


@pytest.mark.parametrize("command", [["calibrate"], ["scoring", "report"]])
def test_without_the_calibrate_extra_the_commands_say_how_to_install_it(
    command: list[str],
    leads_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # what import sees when it is missing

    code, _, err = run(capsys, *command, "--outcomes", leads_csv, "--target", "converted")

    assert code == 2
    assert "pip install 'qualibot[calibrate]'" in err


def test_written_table_merges_into_the_bundled_flow(
    leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules_file = tmp_path / "rules.yaml"
    run(
        capsys, "calibrate", "--outcomes", leads_csv, "--target", "converted",
        "--exclude", "call_status", "--write", rules_file, "--folds", "3",
    )  # fmt: skip
    learned = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["scoring"]
    document = yaml.safe_load(BUNDLED_FLOW.read_text(encoding="utf-8"))
    document["scoring"] |= {"base": learned["base"], "rules": learned["rules"]}

    flow = flow_from_text(yaml.safe_dump(document, allow_unicode=True))

    _, written, _ = read_scoring_section(rules_file.read_text(encoding="utf-8"))
    assert flow.scoring_base == learned["base"]
    assert set(written) <= set(flow.fit_rules)
