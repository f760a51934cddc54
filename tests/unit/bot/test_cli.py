"""The command line as a user types it: parse, flows validate, chat."""

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.terminal import chat
from dialogs import load_flow


def test_parse_prints_every_slot_found_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "parse",
            "budget 30-40jt per bulan, mulai bulan depan, email budi@maju.co.id",
            "--now",
            "2026-05-13T10:00:00+07:00",
        ]
    )

    found = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (found["budget"]["min"], found["budget"]["max"]) == (30_000_000, 40_000_000)
    assert found["budget"]["period"] == "monthly"
    assert found["timeline"]["start"] == "2026-06-01"
    assert found["email"] == {"address": "budi@maju.co.id", "personal": False, "confidence": 1.0}
    assert found["budget"]["confidence"] == 0.95  # every value says how sure it is


def test_parse_dash_reads_one_message_per_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("hmm\nstop\n"))

    main(["parse", "-", "--now", "2026-05-13T10:00:00+07:00"])

    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [{}, {"intents": ["stop"]}]


def test_parse_refuses_a_time_without_offset(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["parse", "halo", "--now", "2026-05-13T10:00:00"])

    assert code == 2
    assert "UTC offset" in capsys.readouterr().err


def test_flows_validate_accepts_the_bundled_flow(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["flows", "validate", "dialogs/flows/bant.yaml"])

    assert code == 0
    assert "ok (flow bant v1, 11 questions)" in capsys.readouterr().out


def test_flows_validate_points_at_the_broken_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = Path("dialogs/flows/bant.yaml").read_text(encoding="utf-8")
    broken = broken.replace("retries: 1\n", "retries: many\n", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")

    code = main(["flows", "validate", str(path)])

    assert code == 1
    assert capsys.readouterr().err.startswith(
        "broken.yaml:25: questions[0](consent).retries: Input should be a valid integer"
    )


def test_terminal_chat_shows_replies_buttons_and_the_score_panel() -> None:
    typed = iter(["halo", "1", "Budi"])
    shown: list[str] = []

    def read(_: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    code = chat(load_flow(), read=read, write=shown.append)

    screen = "\n".join(shown)
    assert code == 0
    assert "[1] Ya" in screen
    assert "bot> Terima kasih! Dengan siapa saya berbicara?" in screen
    assert "name: Budi" in screen
    assert "score:" in screen
    assert "stage: lead" in screen
