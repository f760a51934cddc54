"""Time-driven engagement: a prospect who stops answering scores `went_silent`, once."""

from datetime import UTC, datetime, timedelta

from bot.pipeline import Pipeline
from bot.scheduler import mark_silent
from dialogs import Channel, InboundMessage, load_flow
from storage import leads
from storage.database import Database
from storage.score_events import list_score_events
from storage.writer import Writer

START = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


async def test_a_prospect_silent_for_a_day_loses_points_once(db: Database) -> None:
    clock = [START]
    writer = Writer(db)
    await writer.start()
    pipeline = Pipeline(db, writer, load_flow(), clock=lambda: clock[0])
    await pipeline.handle(InboundMessage(Channel.WEB, "quiet", "m1", START, text="Halo"))
    await pipeline.handle(InboundMessage(Channel.WEB, "busy", "b1", START, text="Halo"))
    clock[0] = START + timedelta(hours=23)
    await pipeline.handle(InboundMessage(Channel.WEB, "busy", "b2", clock[0], text="ya"))

    clock[0] = START + timedelta(hours=25)
    first = await mark_silent(db, pipeline, clock[0])
    again = await mark_silent(db, pipeline, clock[0])
    await writer.stop()

    assert (first, again) == (1, 0)
    async with db.connection() as conn:
        quiet = await leads.find_lead(conn, "web", "quiet")
        assert quiet is not None
        events = await list_score_events(conn, quiet.id)
    assert [(e.rule_id, e.points) for e in events if e.kind == "engagement"] == [
        ("engagement.went_silent", -10)
    ]
