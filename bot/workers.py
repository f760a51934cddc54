"""`qualibot serve --workers N`: a small supervisor over N `serve` processes on one port.

Each worker binds the same address with SO_REUSEPORT, so the kernel spreads connections
across them; no worker owns a conversation (each message is one transaction on PostgreSQL),
so nothing in front needs sticky sessions. The supervisor upgrades the schema once, starts
the workers, restarts one that dies, and stops them all on SIGTERM or Ctrl-C.
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

from bot.config import Settings

logger = logging.getLogger(__name__)

# A worker that dies this soon after it started, this many times in a row, has a problem a
# restart will not fix (a bad flow, a database that refuses): stop instead of spinning.
EARLY_DEATH_SECONDS = 10.0
EARLY_DEATHS_TO_GIVE_UP = 3
STOP_GRACE_SECONDS = 30.0


class WorkersRefused(Exception):
    """The configuration cannot run several workers; the message says what to change."""


def check_workers(settings: Settings, workers: int) -> None:
    """Raise WorkersRefused when `workers` processes cannot share this configuration."""
    if workers < 1:
        raise WorkersRefused("--workers must be 1 or more")
    if workers == 1:
        return
    if not settings.database_url.startswith("postgresql"):
        raise WorkersRefused(
            f"--workers {workers} needs PostgreSQL: SQLite is the embedded database for one "
            "process. Set QUALIBOT_DATABASE_URL=postgresql://user@host/dbname, or run one worker."
        )
    if settings.telegram is not None and settings.telegram.mode == "polling":
        raise WorkersRefused(
            "Telegram polling allows one getUpdates client per bot: with several workers use "
            "QUALIBOT_TELEGRAM__MODE=webhook, or run one worker."
        )


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)


class Supervisor:
    """Runs and watches N worker processes; `run()` returns the exit code."""

    def __init__(self, settings: Settings, workers: int, *, port: int) -> None:
        self.settings = settings
        self.count = workers
        self.port = port
        self.stopping = False
        self.workers: list[_Worker] = []

    def worker_env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "QUALIBOT_DATABASE_URL": self.settings.database_url,
            "QUALIBOT_HOST": self.settings.host,
            "QUALIBOT_PORT": str(self.port),
        }
        if self.settings.flow is not None:
            env["QUALIBOT_FLOW"] = str(self.settings.flow)
        if self.settings.public_url:
            env["QUALIBOT_PUBLIC_URL"] = self.settings.public_url
        if self.settings.telegram is not None:
            # The Bot API's overall limit is per bot, and each worker throttles on its own.
            limits = self.settings.telegram.limits
            env["QUALIBOT_TELEGRAM__LIMITS__PER_SECOND"] = str(limits.per_second / self.count)
            env["QUALIBOT_TELEGRAM__LIMITS__BURST"] = str(max(1, limits.burst // self.count))
        return env

    def spawn(self) -> _Worker:
        command = [sys.executable, "-m", "bot.cli", "serve", "--worker"]
        return _Worker(subprocess.Popen(command, env=self.worker_env()))  # noqa: S603 (ours)

    def stop(self, signum: int, _: FrameType | None) -> None:
        self.stopping = True

    def start(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)
        self.workers = [self.spawn() for _ in range(self.count)]

    def watch(self) -> int:
        """Restart workers that die until told to stop; 1 if they keep dying at start."""
        early_deaths = 0
        while not self.stopping:
            time.sleep(0.2)
            for i, worker in enumerate(self.workers):
                code = worker.process.poll()
                if code is None or self.stopping:
                    continue
                lived = time.monotonic() - worker.started
                early_deaths = early_deaths + 1 if lived < EARLY_DEATH_SECONDS else 0
                if early_deaths >= EARLY_DEATHS_TO_GIVE_UP:
                    logger.error(
                        "workers keep exiting at start (last code %s); stopping. Run "
                        "`qualibot serve` with one worker to see why.",
                        code,
                    )
                    self.terminate()
                    return 1
                logger.warning(
                    "worker %s exited with code %s after %.0f s; starting another",
                    worker.process.pid,
                    code,
                    lived,
                )
                self.workers[i] = self.spawn()
        self.terminate()
        return 0

    def terminate(self) -> None:
        """SIGTERM every worker (aiohttp finishes requests in flight), SIGKILL after a grace."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in self.workers:
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


@contextlib.contextmanager
def reserved_port(host: str, port: int) -> Iterator[int]:
    """The port the workers share; port 0 asks the OS for a free one and holds it.

    The held socket is bound with SO_REUSEPORT but never listens, so it takes no connections
    and only keeps the port from being given to anyone else while the workers run.
    """
    if port != 0:
        yield port
        return
    family, kind, proto, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        yield int(sock.getsockname()[1])


def wait_until_serving(url: str, supervisor: Supervisor, timeout: float = 60.0) -> bool:
    """Poll /healthz until a worker answers; False if the workers gave up first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping:
        if all(w.process.poll() is not None for w in supervisor.workers):
            return False
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/healthz", timeout=2),  # noqa: S310 (our own URL)
        ):
            return True
        time.sleep(0.2)
    return False


def serve_workers(settings: Settings, workers: int, announce: Callable[[str], None]) -> int:
    """Upgrade the schema once, then run `workers` processes until told to stop."""
    from storage.migrate import upgrade

    asyncio.run(upgrade(settings.database_url))
    with reserved_port(settings.host, settings.port) as port:
        supervisor = Supervisor(settings, workers, port=port)
        supervisor.start()
        url = f"http://{settings.host}:{port}"
        if wait_until_serving(url, supervisor):
            announce(url)
        return supervisor.watch()
