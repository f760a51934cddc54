"""SDRs: the roster, lookups by chat, and round-robin assignment."""

from datetime import timedelta

from storage.database import Database
from storage.sdrs import (
    add_sdr,
    choose_next_sdr,
    find_by_telegram_chat,
    find_by_whatsapp_number,
    get_sdr,
    list_sdrs,
    set_active,
)

from .factories import NOW


async def test_round_robin_cycles_through_active_sdrs(db: Database) -> None:
    async with db.transaction() as conn:
        for name in ("Rina", "Andi", "Dewi"):
            await add_sdr(conn, name, now=NOW)

    picks = []
    for minute in range(5):
        async with db.transaction() as conn:
            sdr = await choose_next_sdr(conn, NOW + timedelta(minutes=minute))
        picks.append(sdr.name if sdr else None)

    assert picks == ["Rina", "Andi", "Dewi", "Rina", "Andi"]


async def test_inactive_sdrs_are_skipped_and_none_active_means_none(db: Database) -> None:
    async with db.transaction() as conn:
        rina = await add_sdr(conn, "Rina", now=NOW)
        andi = await add_sdr(conn, "Andi", now=NOW, active=False)

    async with db.transaction() as conn:
        first = await choose_next_sdr(conn, NOW)
        second = await choose_next_sdr(conn, NOW + timedelta(minutes=1))
        await set_active(conn, rina, False)
        nobody = await choose_next_sdr(conn, NOW + timedelta(minutes=2))
        await set_active(conn, andi, True)
        andi_now = await choose_next_sdr(conn, NOW + timedelta(minutes=3))

    assert [s.name if s else None for s in (first, second, nobody, andi_now)] == [
        "Rina",
        "Rina",
        None,
        "Andi",
    ]


async def test_a_chosen_sdr_is_stamped_with_the_assignment_time(db: Database) -> None:
    async with db.transaction() as conn:
        sdr_id = await add_sdr(conn, "Rina", now=NOW)
        await choose_next_sdr(conn, NOW + timedelta(minutes=1))

    async with db.connection() as conn:
        sdr = await get_sdr(conn, sdr_id)

    assert sdr is not None
    assert sdr.last_assigned_at == NOW + timedelta(minutes=1)


async def test_sdrs_are_found_by_telegram_chat_and_whatsapp_number(db: Database) -> None:
    async with db.transaction() as conn:
        rina = await add_sdr(conn, "Rina", now=NOW, telegram_chat_id="1001")
        andi = await add_sdr(conn, "Andi", now=NOW, whatsapp_number="6281100000000")

    async with db.connection() as conn:
        by_chat = await find_by_telegram_chat(conn, "1001")
        by_number = await find_by_whatsapp_number(conn, "6281100000000")
        stranger = await find_by_telegram_chat(conn, "2002")
        roster = await list_sdrs(conn)
        missing_toggle = await set_active(conn, 999, True)

    assert by_chat is not None
    assert by_chat.id == rina
    assert by_number is not None
    assert by_number.id == andi
    assert stranger is None
    assert [s.name for s in roster] == ["Rina", "Andi"]
    assert missing_toggle is False


async def test_the_roster_can_list_active_sdrs_only(db: Database) -> None:
    async with db.transaction() as conn:
        await add_sdr(conn, "Rina", now=NOW)
        await add_sdr(conn, "Andi", now=NOW, active=False)

    async with db.connection() as conn:
        active = await list_sdrs(conn, active_only=True)

    assert [s.name for s in active] == ["Rina"]
