"""`qualibot flows export|import`: flows between the database and files (for teams who keep
flows in git). Import validates first and publishes a new version (or keeps a draft)."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.studio import check_source
from dialogs import BUNDLED_FLOW, load_flow
from storage.database import Database
from storage.flows import (
    FlowVersion,
    get_version,
    import_first,
    latest_published,
    publish_source,
    save_draft,
)
from storage.migrate import upgrade_database


def _url(args: argparse.Namespace) -> str:
    from bot.config import Settings

    return str(args.database_url or Settings().database_url)


def _served_file() -> Path:
    from bot.config import Settings

    return Settings().flow or BUNDLED_FLOW


def _export(args: argparse.Namespace) -> int:
    served = _served_file()
    served_id = load_flow(served).id
    name = args.name or served_id
    found = asyncio.run(_read(args, name, served.read_text(encoding="utf-8"), name == served_id))
    if found is None:
        which = f"version {args.version}" if args.version else "a published version"
        print(f"flow {name!r} has no {which}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(found.source, encoding="utf-8")
        print(f"{args.output}: flow {name} v{found.version}", file=sys.stderr)
    else:
        sys.stdout.write(found.source)
    return 0


async def _read(
    args: argparse.Namespace, name: str, served_source: str, served: bool
) -> FlowVersion | None:
    db = Database.from_url(_url(args), pool_size=1)
    try:
        await upgrade_database(db)
        async with db.transaction() as conn:
            if served:  # a fresh database: the served file is version 1
                await import_first(conn, name, served_source, _now())
            return (
                await get_version(conn, name, args.version)
                if args.version
                else await latest_published(conn, name)
            )
    finally:
        await db.dispose()


def _import(args: argparse.Namespace) -> int:
    file = Path(args.file)
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"{file}: cannot read: {e}", file=sys.stderr)
        return 1
    name = _id_of(source)
    flow, problems = check_source(name, source)
    if flow is None:
        for problem in problems:
            where = f"{file}:{problem.line}" if problem.line else str(file)
            print(f"{where}: {problem.path}: {problem.message}", file=sys.stderr)
        return 1
    return asyncio.run(_store(args, name, source, file.name))


async def _store(args: argparse.Namespace, name: str, source: str, file_name: str) -> int:
    db = Database.from_url(_url(args), pool_size=1)
    try:
        await upgrade_database(db)
        async with db.transaction() as conn:
            if args.draft:
                await save_draft(conn, name, source, _now())
                print(f"flow {name}: draft saved (not live; publish it in the admin)")
                return 0
            live = await latest_published(conn, name)
            if live is not None and live.source == source:
                print(f"flow {name}: v{live.version} is already this file; nothing to do")
                return 0
            note = args.note or f"imported from {file_name}"
            version = await publish_source(conn, name, source, _now(), note)
    finally:
        await db.dispose()
    print(f"flow {name}: published as v{version} (new conversations take it)")
    return 0


def _id_of(source: str) -> str:
    """The flow's id as written ("" if unreadable: validation then says what is wrong)."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        return ""
    return str(data.get("id") or "") if isinstance(data, dict) else ""


def _now() -> datetime:
    return datetime.now(UTC)


def register(flow_commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `export` and `import` to `qualibot flows`."""
    export = flow_commands.add_parser("export", help="write a flow version from the database")
    export.add_argument("name", nargs="?", help="flow id (default: the served flow)")
    export.add_argument("--version", type=int, help="this version (default: the published one)")
    export.add_argument("-o", "--output", help="write to this file (default: standard output)")
    export.add_argument("--database-url", help="QUALIBOT_DATABASE_URL")
    export.set_defaults(func=_export)
    load = flow_commands.add_parser(
        "import", help="validate a flow file and publish it as the newest version"
    )
    load.add_argument("file", type=Path)
    load.add_argument("--draft", action="store_true", help="keep it as the draft only")
    load.add_argument("--note", help="the version's note (default: imported from FILE)")
    load.add_argument("--database-url", help="QUALIBOT_DATABASE_URL")
    load.set_defaults(func=_import)
