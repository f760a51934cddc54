"""The short form of bench/soak.py: two `qualibot serve` workers on one PostgreSQL database,
a fifth of the deliveries sent to both, one worker killed (SIGKILL) and restarted mid-run.
Nothing lost or stored twice, no delivery answered twice, every lead's messages numbered
1..n, one handoff per SQL, and every lead ends as it does on one worker."""

from pathlib import Path

from soak import compare, soak  # bench/soak.py

from tests.postgres import PG_URL, create_database, drop_database


async def test_two_workers_with_kills_end_like_one(tmp_path: Path) -> None:
    await drop_database(await create_database())  # skips (fails in CI) without PostgreSQL
    assert PG_URL

    report, many = await soak(
        workers=2,
        prospects=30,
        length=12,
        duplicates=0.2,
        kill_every=0.8,
        log_dir=tmp_path,
    )
    _, one = await soak(
        workers=1, prospects=30, length=12, duplicates=0.0, kill_every=None, log_dir=tmp_path
    )

    assert report.kills >= 1
    assert (report.lost, report.stored_twice, report.doubled_replies, report.seq_broken) == (
        0,
        0,
        0,
        0,
    )
    assert report.sql_leads == 30
    assert report.handoffs_off == 0
    assert compare(one, many) == 0
