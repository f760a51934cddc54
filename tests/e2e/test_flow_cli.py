"""`qualibot flows export|import` against a real SQLite file, as a team keeping flows in git."""

from pathlib import Path

import pytest

from bot.cli import main
from dialogs import BUNDLED_FLOW


def test_export_edit_import_publishes_a_new_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/q.db"
    file = tmp_path / "bant.yaml"

    exported = main(["flows", "export", "-o", str(file), "--database-url", url])
    file.write_text(file.read_text(encoding="utf-8").replace("Halo! 👋", "Hai! 👋"), "utf-8")
    imported = main(["flows", "import", str(file), "--database-url", url])
    again = main(["flows", "import", str(file), "--database-url", url])
    capsys.readouterr()
    main(["flows", "export", "--version", "1", "--database-url", url])
    first = capsys.readouterr().out
    main(["flows", "export", "--database-url", url])
    newest = capsys.readouterr().out

    assert (exported, imported, again) == (0, 0, 0)
    assert first == BUNDLED_FLOW.read_text(encoding="utf-8")
    assert "Hai! 👋" in newest
    assert "Halo! 👋" not in newest


def test_import_refuses_an_invalid_file_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/q.db"
    file = tmp_path / "bant.yaml"
    source = BUNDLED_FLOW.read_text(encoding="utf-8")
    file.write_text(source.replace("    retries: 1\n", "    retries: x\n", 1), "utf-8")
    line = file.read_text(encoding="utf-8").splitlines().index("    retries: x") + 1

    status = main(["flows", "import", str(file), "--database-url", url])

    assert status == 1
    assert f"bant.yaml:{line}: questions[0](consent).retries" in capsys.readouterr().err
