"""What an operator's log shows when a statement fails: no prospect's data, masked or not.

The real `qualibot serve` on PostgreSQL, with a trigger that refuses one message, so the turn
fails inside a batch that also holds another prospect's turn.
"""

import asyncio
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from storage.database import Database
from tests.e2e.serving import serve, serve_env
from tests.postgres import create_database, drop_database

REFUSE = (
    """
    CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
    BEGIN
        IF NEW.text LIKE '%boom%' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER refuse_boom BEFORE INSERT ON messages
        FOR EACH ROW EXECUTE FUNCTION refuse_boom()
    """,
)


@pytest.mark.postgres
async def test_a_failing_statement_logs_no_prospect_data(tmp_path: Path) -> None:
    url = await create_database()
    log = tmp_path / "serve.log"
    try:
        async with serve(serve_env(QUALIBOT_DATABASE_URL=url), log) as (_, base):
            db = Database.from_url(url)
            try:
                async with db.transaction() as conn:
                    for statement in REFUSE:
                        await conn.execute(text(statement))
            finally:
                await db.dispose()
            async with aiohttp.ClientSession() as http:

                async def post(session: str, message: str) -> int:
                    body = {"session": session, "message_id": "m1", "text": message}
                    async with http.post(f"{base}/api/chat", json=body) as response:
                        return response.status

                statuses = await asyncio.gather(
                    post("rudi", "email saya rudi.hartono@example.com boom"),
                    post("sari", "halo, sari.dewi@example.com ya kak"),
                )
    finally:
        await drop_database(url)

    written = log.read_text()
    assert statuses[0] == 500
    assert "refused by the test trigger" in written  # the failure itself is logged
    for private in ("rudi.hartono@example.com", "sari.dewi@example.com", "email saya", "halo,"):
        assert private not in written
