"""`qualibot calibrate` and `qualibot scoring report`: learn points from outcomes, check them.

The shell around `scoring.calibration`: reads the CSV and the flow, shows progress, prints a
table or JSON and writes the learned points in the flow's `scoring:` format. pandas,
scikit-learn and tqdm (the `calibrate` extra) are imported only when a command runs, because
`bot.cli` registers these commands in every process, including the service.
"""

import argparse
import importlib.util
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from scoring import Attribute, BandThresholds, FitRule, ScoringError

if TYPE_CHECKING:
    import pandas as pd

    from scoring.calibration import BandTable, Calibration, Evaluation

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

EXTRA_HINT: Final = "install the calibrate extra: pip install 'qualibot[calibrate]'"
USAGE: Final = 2  # exit code for input the command cannot use, as argparse uses


class Unusable(Exception):
    """Input the command cannot use; the message says what to do about it.

    Local rather than a `bot.errors.BotError`: that module loads `dialogs`, and these commands
    must start (and fail clearly) without loading the dialog engine.
    """


def register(commands: "Subcommands") -> None:
    """Add `calibrate` and `scoring report` to the `qualibot` command line."""
    calibrate = commands.add_parser(
        "calibrate",
        help="fit a points table from won/lost outcomes",
        description="Fit an integer points table from a CSV of leads with known outcomes "
        "and report how well it ranks them (out-of-fold).",
    )
    _outcome_arguments(calibrate)
    calibrate.add_argument(
        "--exclude", action="append", default=[], metavar="COLUMN",
        help="leave a column out (e.g. one filled in after sales contact); repeatable",
    )  # fmt: skip
    calibrate.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    calibrate.add_argument(
        "--write", type=Path, metavar="RULES.yaml", help="save the table as a scoring section"
    )
    calibrate.set_defaults(func=run_calibrate)

    scoring = commands.add_parser("scoring", help="check a flow's points against outcomes")
    scoring_commands = scoring.add_subparsers(
        dest="scoring_command", required=True, metavar="COMMAND"
    )
    report = scoring_commands.add_parser(
        "report",
        help="AUC and band table of the points a flow already has",
        description="Score every lead in the CSV with the flow's points and compare the "
        "scores with the outcomes.",
    )
    _outcome_arguments(report)
    report.add_argument(
        "--flow", type=Path, help="a flow, or a file with only a scoring: section "
        "(default: the bundled BANT flow)",
    )  # fmt: skip
    report.set_defaults(func=run_report)


def _outcome_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outcomes", type=Path, required=True, metavar="FILE.csv")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the outcome column")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run_calibrate(args: argparse.Namespace) -> int:
    """`qualibot calibrate`: fit, report, and optionally write the points table."""
    if not has_calibrate_extra():
        return _fail("calibrate", EXTRA_HINT)
    from scoring import calibration

    try:
        frame = _read_outcomes(args.outcomes)
        with _progress(args.folds + 1) as tick:
            result = calibration.calibrate(
                frame, args.target, exclude=args.exclude, folds=args.folds, on_step=tick
            )
        if args.write is not None:
            _write(args.write, rules_yaml(result, source=args.outcomes.name))
    except (Unusable, ScoringError) as e:
        return _fail("calibrate", str(e))
    if args.json:
        _out(json.dumps(_calibration_json(result, args.write), indent=2, allow_nan=False))
    else:
        _out(_calibration_text(result, args.folds, args.write))
    return 0


def run_report(args: argparse.Namespace) -> int:
    """`qualibot scoring report`: evaluate a flow's existing points against outcomes."""
    if not has_calibrate_extra():
        return _fail("scoring report", EXTRA_HINT)
    from scoring import calibration

    try:
        base, rules, thresholds, source = _read_points(args.flow)
        frame = _read_outcomes(args.outcomes)
        evaluation = calibration.evaluate_points(frame, args.target, base, rules, thresholds)
    except (Unusable, ScoringError) as e:
        return _fail("scoring report", str(e))
    if args.json:
        document = {
            **_evaluation_json(evaluation),
            "points": {rule.id: rule.points for rule in rules},
            "base": base,
            "flow": source,
        }
        _out(json.dumps(_finite(document), indent=2, allow_nan=False))
    else:
        lines = [
            f"Points of {source} (base {base}, {len(rules)} rules) on {_counts(evaluation)}",
            f"AUC {evaluation.auc:.3f} (SD {evaluation.auc_sd:.3f} over 5 folds)",
            *_evaluation_lines(evaluation),
        ]
        _out("\n".join(lines))
    return 0


def has_calibrate_extra() -> bool:
    """Whether pandas, scikit-learn and tqdm are importable (found, not imported: it is quick)."""
    return all(importlib.util.find_spec(name) for name in ("numpy", "pandas", "sklearn", "tqdm"))


def rules_yaml(result: "Calibration", *, source: str) -> str:
    """The learned table as a flow `scoring:` section, with where it came from as comments."""
    evaluation = result.evaluation
    suggested = evaluation.suggested.thresholds
    lines = [
        f"# Learned by `qualibot calibrate` from {source}: {_counts(evaluation)}.",
        f"# Out-of-fold AUC {evaluation.auc:.3f} +/- {evaluation.auc_sd:.3f}. Missing values "
        "earn nothing; review before merging into a flow.",
        f"# Suggested bands (top ~20% Hot, next ~30% Warm): hot {suggested.hot}, "
        f"warm {suggested.warm}.",
        "scoring:",
        f"  base: {result.base}",
        "  rules:" if result.rules else "  rules: []",
    ]
    for rule in result.rules:
        lines += [f"    - id: {_scalar(rule.id)}", f"      attribute: {_scalar(rule.attribute)}"]
        if rule.equals is not None:
            lines.append(f"      equals: {_scalar(rule.equals)}")
        if rule.one_of:
            lines.append(f"      one_of: [{', '.join(_scalar(v) for v in rule.one_of)}]")
        if rule.min is not None:
            lines.append(f"      min: {_scalar(rule.min)}")
        if rule.max is not None:
            lines.append(f"      max: {_scalar(rule.max)}")
        lines += [f"      points: {rule.points}", f"      reason: {json.dumps(rule.reason)}"]
    return "\n".join(lines) + "\n"


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    attribute: str
    points: int
    reason: str = ""
    equals: Attribute = None
    one_of: tuple[Attribute, ...] = ()
    min: float | None = None
    max: float | None = None


class _BandsModel(BaseModel):
    hot: int = 80
    warm: int = 50


class _ScoringModel(BaseModel):
    """The `scoring:` section; other keys (engagement, half-life) do not matter here."""

    base: int = 0
    bands: _BandsModel = _BandsModel()
    rules: tuple[_RuleModel, ...] = ()


class _PointsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scoring: _ScoringModel


def read_scoring_section(text: str) -> tuple[int, tuple[FitRule, ...], BandThresholds]:
    """Base, rules and bands from a YAML document holding only a `scoring:` section."""
    section = _PointsFile.model_validate(yaml.safe_load(text)).scoring
    rules = tuple(
        FitRule(**{**rule.model_dump(), "reason": rule.reason or rule.id})
        for rule in section.rules
    )
    return section.base, rules, BandThresholds(hot=section.bands.hot, warm=section.bands.warm)


def _read_points(path: Path | None) -> tuple[int, tuple[FitRule, ...], BandThresholds, str]:
    """A file with only `scoring:` (what --write makes) is read here; a whole flow by dialogs."""
    if path is None:
        from dialogs import BUNDLED_FLOW

        path = BUNDLED_FLOW
    file: Path = path
    try:
        text = file.read_text(encoding="utf-8")
        document = yaml.safe_load(text)
    except FileNotFoundError as e:
        raise Unusable(f"no flow file {file}; pass --flow FILE") from e
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise Unusable(f"cannot read {file}: {_one_line(e)}") from e
    if isinstance(document, dict) and set(document) == {"scoring"}:
        try:
            base, rules, thresholds = read_scoring_section(text)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()
            )
            raise Unusable(f"{file}: {problems}") from e
        return base, rules, thresholds, str(file)
    # Only a whole flow needs the flow loader (and with it the dialogs package).
    from dialogs import FlowErrors, load_flow

    try:
        flow = load_flow(file)
    except FlowErrors as e:
        raise Unusable(f"{file} is not a valid flow: {_one_line(e)}") from e
    return flow.scoring_base, flow.fit_rules, flow.policy.thresholds, str(file)


def _read_outcomes(path: Path) -> "pd.DataFrame":
    import pandas as pd

    try:
        return pd.read_csv(path, skipinitialspace=True)
    except FileNotFoundError as e:
        raise Unusable(f"no such file: {path}; pass --outcomes with a CSV of leads") from e
    except pd.errors.EmptyDataError as e:
        raise Unusable(f"{path} is empty; it needs a header row and one row per lead") from e
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as e:
        raise Unusable(f"cannot read {path} as CSV: {_one_line(e)}") from e


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise Unusable(f"cannot write {path}: {e.strerror or e}") from e


@contextmanager
def _progress(steps: int) -> Iterator[Callable[[], None]]:
    """A tqdm bar on stderr (shown on a terminal only); yields the callback that advances it."""
    from tqdm import tqdm

    with tqdm(total=steps, desc="fitting folds", file=sys.stderr, disable=None) as bar:
        yield bar.update


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _fail(command: str, message: str) -> int:
    """One line on stderr saying what to do, and the usage exit code (no traceback)."""
    sys.stderr.write(f"qualibot {command}: error: {message}\n")
    return USAGE


def _one_line(error: BaseException) -> str:
    return re.sub(r"\s*\n\s*", "; ", str(error).strip())


def _scalar(value: Attribute) -> str:
    """A YAML scalar that loads back as the same value (quoted if YAML would read it as else)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return "null"
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value) and yaml.safe_load(value) == value
    return value if plain else json.dumps(value)


def _counts(evaluation: "Evaluation") -> str:
    rate = evaluation.positives / evaluation.rows if evaluation.rows else math.nan
    return f"{evaluation.rows} leads, {evaluation.positives} converted ({rate:.1%})"


def _bands_json(table: "BandTable") -> dict[str, dict[str, float | None]]:
    return {
        band.value: {"share": stat.share, "conversion": stat.conversion}
        for band, stat in table.stats().items()
    }


def _evaluation_json(evaluation: "Evaluation") -> dict[str, Any]:
    suggested = evaluation.suggested
    return {
        "auc": evaluation.auc,
        "auc_sd": evaluation.auc_sd,
        "bands": _bands_json(evaluation.bands),
        "thresholds": {
            "hot": evaluation.bands.thresholds.hot,
            "warm": evaluation.bands.thresholds.warm,
        },
        "suggested_thresholds": {
            "hot": suggested.thresholds.hot,
            "warm": suggested.thresholds.warm,
            "bands": _bands_json(suggested),
        },
        "calibration_error": evaluation.calibration_error,
        "rows": evaluation.rows,
        "positives": evaluation.positives,
        "warnings": list(evaluation.warnings),
    }


def _calibration_json(result: "Calibration", written: Path | None) -> dict[str, Any]:
    def brief(rules: Sequence[FitRule]) -> list[dict[str, Any]]:
        return [{"id": r.id, "reason": r.reason, "points": r.points} for r in rules]

    document: dict[str, Any] = _finite(
        {
            **_evaluation_json(result.evaluation),
            "points": {rule.id: rule.points for rule in result.rules},
            "base": result.base,
            "fold_aucs": list(result.fold_aucs),
            "model_auc": result.model_auc,
            "top_up": brief(result.top_up),
            "top_down": brief(result.top_down),
            "written": None if written is None else str(written),
        }
    )
    return document


def _finite(value: Any) -> Any:
    """NaN (an AUC with one class in a fold) becomes null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _calibration_text(result: "Calibration", folds: int, written: Path | None) -> str:
    evaluation = result.evaluation
    lines = [
        f"Calibrated on {_counts(evaluation)}, {folds}-fold cross-validation",
        f"AUC of the points table {evaluation.auc:.3f} +/- {evaluation.auc_sd:.3f} "
        f"(model before rounding {result.model_auc:.3f})",
        *_evaluation_lines(evaluation),
        "",
        f"Points table (base {result.base}; a missing value earns nothing):",
        *(f"  {rule.points:+4d}  {rule.reason}" for rule in _by_attribute(result.rules)),
        "",
        "Pushing up:   " + "; ".join(f"{r.reason} ({r.points:+d})" for r in result.top_up),
        "Pushing down: " + "; ".join(f"{r.reason} ({r.points:+d})" for r in result.top_down),
    ]
    if written is not None:
        lines.append(f"\nWrote {written}: merge its rules into the flow's scoring section.")
    return "\n".join(lines)


def _by_attribute(rules: Sequence[FitRule]) -> list[FitRule]:
    first = {rule.attribute: i for i, rule in reversed(list(enumerate(rules)))}
    return sorted(rules, key=lambda rule: (first[rule.attribute], -rule.points))


def _evaluation_lines(evaluation: "Evaluation") -> list[str]:
    lines = [
        f"Calibration error {evaluation.calibration_error:.3f} (score / 100 against conversion)",
        "",
        *_band_lines(evaluation.bands, "Bands"),
        "",
        *_band_lines(evaluation.suggested, "Suggested bands (top ~20% Hot, next ~30% Warm)"),
    ]
    if evaluation.warnings:
        lines += ["", "Warnings:", *(f"  ! {warning}" for warning in evaluation.warnings)]
    return lines


def _band_lines(table: "BandTable", title: str) -> list[str]:
    hot, warm = table.thresholds.hot, table.thresholds.warm
    ranges = {"hot": f">= {hot}", "warm": f"{warm}-{hot - 1}", "cold": f"< {warm}"}
    lines = [f"{title}:", f"  {'band':<14}{'leads':>7}{'share':>8}{'converted':>11}"]
    for band, stat in table.stats().items():
        conversion = "-" if stat.conversion is None else f"{stat.conversion:.1%}"
        label = f"{band.value.title()} ({ranges[band.value]})"
        lines.append(f"  {label:<14}{stat.rows:>7}{stat.share:>8.1%}{conversion:>11}")
    return lines
