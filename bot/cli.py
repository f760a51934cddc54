"""The `qualibot` command line: one sub-command per job, each returning an exit code."""

import argparse
import asyncio
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from bot.config import Settings

Command = Callable[[argparse.Namespace], int]


def _flows_validate(args: argparse.Namespace) -> int:
    from dialogs import FlowErrors, load_flow

    failed = 0
    for path in args.files:
        try:
            flow = load_flow(path)
        except FlowErrors as e:
            failed += 1
            for error in e.errors:
                print(error, file=sys.stderr)
            continue
        print(f"{path}: ok (flow {flow.id} v{flow.version}, {len(flow.order)} questions)")
    return 1 if failed else 0


def _parse(args: argparse.Namespace) -> int:
    from dialogs.extract import extract_all

    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        print("--now needs a UTC offset, e.g. 2026-05-13T10:00:00+07:00", file=sys.stderr)
        return 2
    texts = sys.stdin if args.text == "-" else [args.text]
    for text in texts:
        found = extract_all(text.rstrip("\n"), now=now, language=args.lang).to_json()
        sys.stdout.write(orjson.dumps(found).decode() + "\n")
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.terminal import chat
    from dialogs import FlowErrors, load_flow

    try:
        flow = load_flow(args.flow) if args.flow else load_flow()
    except FlowErrors as e:
        print(e, file=sys.stderr)
        return 2
    return chat(flow, language=args.lang)


def _settings(args: argparse.Namespace) -> "Settings":
    from pydantic import ValidationError

    from bot.config import Settings

    overrides = {
        key: value
        for key in ("host", "port", "database_url", "flow")
        if (value := getattr(args, key, None)) is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as e:
        for error in e.errors():
            where = "__".join(str(p) for p in error["loc"]).upper()
            print(f"config: QUALIBOT_{where}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from e


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import build_app
    from bot.logs import setup_logging
    from bot.workers import WorkersRefused, check_workers, serve_workers
    from dialogs import FlowErrors

    settings = _settings(args)
    workers = settings.workers if args.workers is None else args.workers
    setup_logging()
    database = settings.database_url.split("://")[0]

    def announce(url: str, count: int = workers) -> None:
        plural = f", {count} workers" if count > 1 else ""
        print(f"qualibot: web chat on {url}/  (admin: /admin, database: {database}{plural})")
        sys.stdout.flush()

    if not args.worker:
        try:
            check_workers(settings, workers)
        except WorkersRefused as e:
            print(f"qualibot: {e}", file=sys.stderr)
            return 2
        if workers > 1:
            return serve_workers(settings, workers, announce)
    try:
        app = build_app(settings, tune_gc=True)
    except FlowErrors as e:
        print(e, file=sys.stderr)
        return 2

    def started(banner: str) -> None:
        # aiohttp's banner names the bound address: with --port 0, the port the OS chose.
        urls = re.findall(r"https?://[^\s,]+", banner)
        announce(urls[0] if urls else f"http://{settings.host}:{settings.port}")

    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        # a worker of `--workers N` shares the port with its siblings and stays quiet
        reuse_port=args.worker or None,
        print=None if args.worker else started,
        loop=_event_loop(),
    )
    return 0


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (10-15% more messages per second), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    settings = _settings(args)
    asyncio.run(upgrade(settings.database_url))
    print(f"database is at the newest schema ({settings.database_url.split('://')[0]})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands; modules that own a job register their own."""
    from bot import (
        calibrate,
        cli_flows,
        cli_jobs,
        cli_records,
        cli_telegram,
        nlu_eval,
        nlu_train,
        personas,
    )

    parser = argparse.ArgumentParser(
        prog="qualibot", description="Conversational lead qualification (BANT)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web chat, webhooks and admin (aiohttp)")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1, QUALIBOT_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8080, QUALIBOT_PORT)")
    serve.add_argument("--database-url", help="QUALIBOT_DATABASE_URL")
    serve.add_argument("--flow", type=Path, help="flow YAML (QUALIBOT_FLOW)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes sharing the port (default 1, QUALIBOT_WORKERS); more than 1 needs "
        "PostgreSQL",
    )
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_upgrade = db_commands.add_parser("upgrade", help="migrate to the newest schema")
    db_upgrade.add_argument("--database-url", help="QUALIBOT_DATABASE_URL")
    db_upgrade.set_defaults(func=_db_upgrade)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--flow", type=Path, help="flow YAML (default: the bundled BANT flow)")
    chat.add_argument("--lang", choices=["id", "en"], help="start in this language")
    chat.set_defaults(func=_chat)

    parse = commands.add_parser("parse", help="print what the extractors find in a message")
    parse.add_argument("text", help="the message, or '-' to read one message per line")
    parse.add_argument("--now", help="ISO-8601 time the message was sent (default: now)")
    parse.add_argument("--lang", choices=["id", "en"])
    parse.set_defaults(func=_parse)

    flows = commands.add_parser("flows", help="work with flow files")
    flow_commands = flows.add_subparsers(dest="flows_command", required=True, metavar="COMMAND")
    validate = flow_commands.add_parser("validate", help="check flow files; errors name lines")
    validate.add_argument("files", nargs="+", type=Path)
    validate.set_defaults(func=_flows_validate)
    cli_flows.register(flow_commands)

    nlu = commands.add_parser("nlu", help="reply understanding: train and evaluate the models")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", required=True, metavar="COMMAND")
    nlu_train.register(nlu_commands)
    nlu_eval.register(nlu_commands)

    calibrate.register(commands)
    cli_records.register(commands)
    cli_jobs.register(commands)
    cli_telegram.register(commands)
    personas.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qualibot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Command = args.func
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
