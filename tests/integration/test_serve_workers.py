"""`qualibot serve --workers N`: refused where it cannot work, and on PostgreSQL N processes
share one port, a killed worker is replaced and SIGTERM stops them all."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.postgres import create_database, drop_database

SERVE = [sys.executable, "-m", "bot.cli", "serve"]


def run_serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SERVE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_several_workers_on_sqlite_are_refused_with_what_to_do(tmp_path: Path) -> None:
    done = run_serve({"QUALIBOT_DATABASE_URL": f"sqlite:///{tmp_path}/q.db"}, "--workers", "2")

    assert done.returncode == 2
    assert "--workers 2 needs PostgreSQL" in done.stderr
    assert "QUALIBOT_DATABASE_URL=postgresql://" in done.stderr
    assert not (tmp_path / "q.db").exists()  # refused before touching anything


def test_several_workers_polling_telegram_are_refused() -> None:
    done = run_serve(
        {
            "QUALIBOT_DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
            "QUALIBOT_TELEGRAM__TOKEN": "123:abc",
            "QUALIBOT_TELEGRAM__MODE": "polling",
        },
        "--workers",
        "3",
    )

    assert done.returncode == 2
    assert "QUALIBOT_TELEGRAM__MODE=webhook" in done.stderr


def children(pid: int) -> set[int]:
    """Live child processes of `pid`, from /proc (the 4th field of stat is the parent)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


async def until(condition: object, seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not callable(condition) or not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.1)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    url = await create_database()
    yield url
    await drop_database(url)


@pytest.mark.postgres
async def test_workers_share_a_port_survive_a_kill_and_stop_together(pg_url: str) -> None:
    supervisor = await asyncio.create_subprocess_exec(
        *SERVE,
        "--workers",
        "2",
        "--port",
        "0",
        env={**os.environ, "QUALIBOT_DATABASE_URL": pg_url},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert supervisor.stdout is not None
        banner = (await asyncio.wait_for(supervisor.stdout.readline(), 60)).decode()
        assert "2 workers" in banner
        assert "database: postgresql" in banner
        url = banner.split()[4].rstrip("/")
        first = children(supervisor.pid)
        assert len(first) == 2

        async with aiohttp.ClientSession() as http:

            async def say(message_id: str, text: str) -> list[str]:
                body = {"session": "w1", "message_id": message_id, "text": text}
                async with http.post(f"{url}/api/chat", json=body) as response:
                    assert response.status == 200
                    return [reply["text"] for reply in (await response.json())["replies"]]

            greeting = await say("m1", "halo")
            os.kill(min(first), signal.SIGKILL)
            await until(lambda: len(children(supervisor.pid) - first) == 1)
            # whichever worker gets it, the same message again gets the same replies
            assert await say("m1", "halo") == greeting
            assert await say("m2", "Budi") != greeting

        supervisor.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(supervisor.wait(), 40) == 0
        assert children(supervisor.pid) == set()
    finally:
        if supervisor.returncode is None:
            supervisor.kill()
            await supervisor.wait()
