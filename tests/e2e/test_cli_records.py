"""`qualibot leads|handoffs|sdrs|db` against a real SQLite file, as a script would use them."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.pipeline import Pipeline
from dialogs import Channel, InboundMessage, load_flow
from storage.database import Database
from storage.migrate import upgrade_database
from storage.writer import Writer

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
SCRIPT = [
    ("Halo", None),
    ("", "yes"),
    ("Budi Santoso", None),
    ("PT Maju Jaya", None),
    ("saya owner, saya yang memutuskan", None),
    ("", "s51_200"),
    ("butuh banget otomasi follow up", None),
    ("100jt", None),
    ("bulan depan", None),
    ("", "phone"),
    ("081234567890", None),
]


async def seed(url: str) -> None:
    db = Database.from_url(url)
    await upgrade_database(db)
    writer = Writer(db)
    await writer.start()
    pipeline = Pipeline(db, writer, load_flow(), clock=lambda: NOW)
    for n, (text, choice) in enumerate(SCRIPT):
        await pipeline.handle(
            InboundMessage(Channel.WEB, "budi", f"m{n}", NOW, text=text, choice_id=choice)
        )
    await pipeline.handle(InboundMessage(Channel.WEB, "sari", "s1", NOW, text="Halo"))
    await writer.stop()
    await db.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    asyncio.run(seed(database))
    return database


def test_leads_list_json_gives_one_object_per_line(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["leads", "list", "--json", "--database-url", url])

    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert sorted(r["channel_user_id"] for r in rows) == ["budi", "sari"]
    budi = next(r for r in rows if r["channel_user_id"] == "budi")
    assert (budi["name"], budi["stage"], budi["phone"]) == (
        "Budi Santoso",
        "sql",
        "+6281234567890",
    )


def test_leads_list_filters_by_stage(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["leads", "list", "--stage", "sql", "--database-url", url])

    out = capsys.readouterr().out
    assert "Budi Santoso" in out
    assert "sari" not in out


def test_leads_show_prints_the_transcript(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["leads", "list", "--json", "--stage", "sql", "--database-url", url])
    lead_id = json.loads(capsys.readouterr().out)["id"]

    code = main(["leads", "show", lead_id, "--database-url", url])

    out = capsys.readouterr().out
    assert code == 0
    assert "Budi Santoso — PT Maju Jaya" in out
    assert "  > saya owner, saya yang memutuskan" in out


def test_leads_show_json_has_the_slots_in_the_prospects_words_and_the_score_reasons(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["leads", "list", "--json", "--stage", "sql", "--database-url", url])
    lead_id = json.loads(capsys.readouterr().out)["id"]

    code = main(["leads", "show", lead_id, "--json", "--database-url", url])

    found = json.loads(capsys.readouterr().out)
    assert code == 0
    budget = found["slots"]["budget"]
    assert budget["words"] == "100jt"
    assert (budget["value"]["min"], budget["value"]["max"]) == (100_000_000, 100_000_000)
    assert 0.9 <= budget["confidence"] <= 1
    assert found["slots"]["name"] == {
        "value": "Budi Santoso",
        "words": "Budi Santoso",
        "confidence": 0.85,
        "status": "filled",
    }
    reasons = [r["reason"] for r in found["score_reasons"]]
    assert "decision maker" in reasons
    assert sum(r["points"] for r in found["score_reasons"]) >= 80


def test_leads_show_unknown_id_says_what_to_do(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["leads", "show", "nope", "--database-url", url])

    assert code == 1
    assert "qualibot leads list" in capsys.readouterr().err


def test_handoffs_list_json(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["handoffs", "list", "--json", "--database-url", url])

    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert (row["lead_name"], row["company"], row["status"]) == (
        "Budi Santoso",
        "PT Maju Jaya",
        "open",
    )


def test_sdrs_add_then_list(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["sdrs", "add", "Rina", "--telegram-chat-id", "4242", "--database-url", url])
    capsys.readouterr()

    main(["sdrs", "list", "--json", "--database-url", url])

    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["name"], row["telegram_chat_id"], row["active"]) == ("Rina", "4242", True)


def test_sdrs_add_needs_somewhere_to_reach_them(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sdrs", "add", "Rina", "--database-url", url])

    assert code == 2
    assert "--telegram-chat-id" in capsys.readouterr().err


def test_db_upgrade_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["db", "upgrade", "--database-url", f"sqlite:///{tmp_path}/new.db"])

    assert code == 0
    assert "newest schema" in capsys.readouterr().out
    assert (tmp_path / "new.db").exists()


def test_leads_show_json_has_the_consent_record(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["leads", "list", "--json", "--stage", "sql", "--database-url", url])
    lead_id = json.loads(capsys.readouterr().out)["id"]

    main(["leads", "show", lead_id, "--json", "--database-url", url])

    consent = json.loads(capsys.readouterr().out)["consent"]
    assert (consent["given"], consent["flow"], consent["language"]) == (True, "bant v1", "id")
    assert consent["at"] == NOW.isoformat()
    assert consent["text"].startswith("Halo! 👋")
    assert len(consent["text_sha256"]) == 64
