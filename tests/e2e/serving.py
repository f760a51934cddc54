"""The real `qualibot serve` in a subprocess, for tests of what only a process can show:
a SIGKILL, its log output."""

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BANNER = re.compile(rb"qualibot: web chat on (http://\S+?)/")


@asynccontextmanager
async def serve(
    env: dict[str, str], log: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`qualibot serve --port 0`; yields the process and its URL once it listens."""
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", "0",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        found = BANNER.search(line)
        assert found, f"serve did not start: {line!r}; see {log}"
        yield process, found.group(1).decode()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def until(done: Callable[[], bool], *, seconds: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not done():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def serve_env(**settings: str) -> dict[str, str]:
    """This environment without any QUALIBOT_* of its own, plus `settings`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUALIBOT_")},
        **settings,
    }
