"""`qualibot leads|handoffs|sdrs`: read and manage records from a terminal or a script."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from dialogs import ConversationState
from handoff.consent import consent_record
from storage import handoffs, leads, messages, sdrs
from storage.conversations import get_conversation
from storage.database import Database, Transaction
from storage.handoff_events import list_events
from storage.migrate import upgrade_database
from storage.score_events import list_score_events

T = TypeVar("T")


def _url(args: argparse.Namespace) -> str:
    from bot.config import Settings

    return str(args.database_url or Settings().database_url)


def _with_db(args: argparse.Namespace, job: Callable[[Transaction], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database.from_url(_url(args), pool_size=1)
        try:
            await upgrade_database(db)
            async with db.transaction() as conn:
                return await job(conn)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _emit(rows: list[dict[str, Any]], as_json: bool, columns: list[str]) -> None:
    """One JSON object per line for scripts, or an aligned table for people."""
    if as_json:
        for row in rows:
            sys.stdout.write(orjson.dumps(row, default=str).decode() + "\n")
        return
    if not rows:
        print("(none)")
        return
    table = [[str(row.get(c) if row.get(c) is not None else "") for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in table:
        print("  ".join(v[:60].ljust(w) for v, w in zip(r, widths, strict=True)))


def _leads_list(args: argparse.Namespace) -> int:
    rows = _with_db(
        args, lambda c: leads.list_leads(c, stage=args.stage, band=args.band, limit=args.limit)
    )
    _emit(
        [asdict(r) for r in rows],
        args.json,
        ["id", "name", "company", "channel", "stage", "score", "band", "last_activity_at"],
    )
    return 0


def _leads_show(args: argparse.Namespace) -> int:
    async def job(conn: Transaction) -> dict[str, Any] | None:
        lead = await leads.get_lead(conn, args.lead_id)
        if lead is None:
            return None
        handoff = await handoffs.get_handoff_for_lead(conn, lead.id)
        conversation = await get_conversation(conn, lead.id)
        state = (
            ConversationState.model_validate_json(conversation.state_json)
            if conversation is not None
            else None
        )
        return {
            "lead": asdict(lead),
            # value, the prospect's own words, and how sure the reading was
            "slots": {
                name: {
                    "value": slot.value,
                    "words": slot.raw,
                    "confidence": slot.confidence,
                    "status": slot.status,
                }
                for name, slot in (state.slots.items() if state else ())
            },
            "score_reasons": [
                {"at": e.at, "reason": e.reason, "points": e.points, "kind": e.kind}
                for e in await list_score_events(conn, lead.id)
            ],
            "stages": [asdict(s) for s in await leads.list_stage_changes(conn, lead.id)],
            "transcript": [asdict(m) for m in await messages.transcript(conn, lead.id)],
            "consent": consent_record(state, _flow()) if state else None,
            "handoff": asdict(handoff) if handoff else None,
            "handoff_events": (
                [asdict(e) for e in await list_events(conn, handoff.id)] if handoff else []
            ),
        }

    found = _with_db(args, job)
    if found is None:
        print(f"no lead {args.lead_id!r}; `qualibot leads list` shows the ids", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(orjson.dumps(found, default=str).decode() + "\n")
        return 0
    lead = found["lead"]
    print(f"{lead['name'] or '(no name)'} — {lead['company'] or '(no company)'}")
    print(f"stage {lead['stage']}, score {lead['score']} ({lead['band']}), via {lead['channel']}")
    consent = found["consent"]
    if consent is not None:
        answer = "consented" if consent["given"] else "declined"
        print(f"  {answer} at {consent['at']} to {consent['flow']} ({consent['language']})")
    for name, slot in found["slots"].items():
        print(f"  {name}: {slot['words']!r} ({slot['status']}, sure {slot['confidence']:.2f})")
    for reason in found["score_reasons"]:
        print(f"  {reason['points']:+d} {reason['reason']}")
    for message in found["transcript"]:
        arrow = ">" if message["direction"] == "in" else "<"
        author = f"[{message['author']}] " if message.get("author") else ""
        print(f"  {arrow} {author}{message['text']}")
    for event in found["handoff_events"]:
        print(f"  handoff {event['kind']} at {event['at']} (SDR {event['sdr_id'] or '-'})")
    return 0


def _leads_erase(args: argparse.Namespace) -> int:
    from bot.app import crm_events
    from bot.config import Settings
    from handoff.privacy import erase

    crm = crm_events(Settings())
    now = datetime.now(UTC)
    erased = _with_db(
        args, lambda c: erase(c, args.lead_id, now=now, crm=crm, why="an admin asked")
    )
    if not erased:
        print(f"no lead {args.lead_id!r} with personal data to erase", file=sys.stderr)
        return 1
    print(f"erased the personal data of lead {args.lead_id}")
    return 0


def _flow() -> Any:
    from bot.config import Settings
    from dialogs import load_flow

    path = Settings().flow
    return load_flow(path) if path else load_flow()


def _handoffs_list(args: argparse.Namespace) -> int:
    rows = _with_db(
        args, lambda c: handoffs.list_handoffs(c, status=args.status, limit=args.limit)
    )
    _emit(
        [asdict(r) for r in rows],
        args.json,
        ["id", "lead_name", "company", "score", "band", "status", "sdr_id", "due_at"],
    )
    return 0


def _sdrs_add(args: argparse.Namespace) -> int:
    from handoff.routing import ZONES, BadWorkHours, parse_hours

    if not (args.telegram_chat_id or args.whatsapp_number):
        print("give --telegram-chat-id and/or --whatsapp-number", file=sys.stderr)
        return 2
    zone = args.zone.upper() if args.zone else None
    if zone is not None and zone not in ZONES:
        print(f"--zone {args.zone!r}: one of {', '.join(ZONES)}", file=sys.stderr)
        return 2
    if args.hours:
        try:
            parse_hours(args.hours)
        except BadWorkHours as e:
            print(f"--hours: {e}", file=sys.stderr)
            return 2
    if args.capacity is not None and args.capacity < 1:
        print("--capacity: at least 1 open handoff", file=sys.stderr)
        return 2
    languages = ",".join(p.strip().lower() for p in args.languages.split(",") if p.strip())
    sdr_id = _with_db(
        args,
        lambda c: sdrs.add_sdr(
            c,
            args.name,
            now=datetime.now(UTC),
            telegram_chat_id=args.telegram_chat_id,
            whatsapp_number=args.whatsapp_number,
            languages=languages or None,
            capacity=args.capacity,
            zone=zone,
            work_hours=args.hours or None,
        ),
    )
    print(f"added SDR {sdr_id}: {args.name}")
    return 0


def _sdrs_available(args: argparse.Namespace) -> int:
    available = args.sdrs_command == "back"
    found = _with_db(args, lambda c: sdrs.set_available(c, args.sdr_id, available))
    if not found:
        print(f"no SDR {args.sdr_id}; `qualibot sdrs list` shows the ids", file=sys.stderr)
        return 1
    print(f"SDR {args.sdr_id} is {'back' if available else 'away'}")
    return 0


def _sdrs_kpis(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.config import Settings
    from handoff.kpis import sdr_kpis
    from storage.handoff_events import list_all_events

    async def job(conn: Transaction) -> tuple[list[Any], list[Any]]:
        return await list_all_events(conn), await sdrs.list_sdrs(conn)

    events, people = _with_db(args, job)
    accept = timedelta(minutes=Settings().sla.accept_minutes)
    names = {sdr.id: sdr.name for sdr in people}
    rows = [
        {"name": names.get(k.sdr_id, "?"), **k.as_json()}
        for k in sdr_kpis(events, accept_sla=accept, sdr_ids=list(names))
    ]
    _emit(
        rows,
        args.json,
        [
            "sdr_id",
            "name",
            "assigned",
            "accepted",
            "rejected",
            "won",
            "lost",
            "reassigned_away",
            "time_to_accept_min",
            "time_to_first_contact_min",
            "accept_sla_met",
        ],
    )
    return 0


def _sdrs_list(args: argparse.Namespace) -> int:
    rows = _with_db(args, sdrs.list_sdrs)
    _emit(
        [asdict(r) for r in rows],
        args.json,
        [
            "id",
            "name",
            "telegram_chat_id",
            "whatsapp_number",
            "active",
            "available",
            "languages",
            "capacity",
            "zone",
            "work_hours",
            "last_assigned_at",
        ],
    )
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `leads`, `handoffs` and `sdrs` to the qualibot command line."""

    def common(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
        parser.add_argument("--database-url", help="QUALIBOT_DATABASE_URL")
        if json:
            parser.add_argument("--json", action="store_true", help="one JSON object per line")

    lead_parser = commands.add_parser("leads", help="list and show leads")
    lead_commands = lead_parser.add_subparsers(dest="leads_command", required=True)
    listing = lead_commands.add_parser("list", help="leads, most recently active first")
    listing.add_argument("--stage")
    listing.add_argument("--band", choices=["hot", "warm", "cold"])
    listing.add_argument("--limit", type=int, default=50)
    common(listing)
    listing.set_defaults(func=_leads_list)
    show = lead_commands.add_parser("show", help="one lead with its transcript")
    show.add_argument("lead_id")
    common(show)
    show.set_defaults(func=_leads_show)
    erasing = lead_commands.add_parser(
        "erase", help="erase a lead's personal data (UU PDP); anonymous counts stay"
    )
    erasing.add_argument("lead_id")
    common(erasing, json=False)
    erasing.set_defaults(func=_leads_erase)

    handoff_parser = commands.add_parser("handoffs", help="list handoffs to SDRs")
    handoff_commands = handoff_parser.add_subparsers(dest="handoffs_command", required=True)
    listing = handoff_commands.add_parser("list", help="handoffs, newest first")
    listing.add_argument("--status", choices=["open", "accepted", "rejected", "won", "lost"])
    listing.add_argument("--limit", type=int, default=50)
    common(listing)
    listing.set_defaults(func=_handoffs_list)

    sdr_parser = commands.add_parser("sdrs", help="sales reps who receive handoffs")
    sdr_commands = sdr_parser.add_subparsers(dest="sdrs_command", required=True)
    add = sdr_commands.add_parser("add", help="add an SDR")
    add.add_argument("name")
    add.add_argument("--telegram-chat-id")
    add.add_argument("--whatsapp-number")
    add.add_argument("--languages", default="", help="languages they take, e.g. id,en (any)")
    add.add_argument("--capacity", type=int, help="open handoffs at most (no limit)")
    add.add_argument("--zone", help="WIB, WITA or WIT (default WIB)")
    add.add_argument("--hours", help="working hours in their zone, e.g. 08:00-17:00 (any time)")
    common(add, json=False)
    add.set_defaults(func=_sdrs_add)
    for name, text in (("away", "take an SDR out of the rotation"), ("back", "put them back")):
        switch = sdr_commands.add_parser(name, help=text)
        switch.add_argument("sdr_id", type=int)
        common(switch, json=False)
        switch.set_defaults(func=_sdrs_available)
    listing = sdr_commands.add_parser("list", help="SDRs")
    common(listing)
    listing.set_defaults(func=_sdrs_list)
    kpis = sdr_commands.add_parser(
        "kpis", help="per SDR: time to accept / first contact (median), SLA met, outcomes"
    )
    common(kpis)
    kpis.set_defaults(func=_sdrs_kpis)
