"""The admin web over HTTP: login, sessions and CSRF, inbox, lead page, handoff decisions, SDRs."""

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import ClientResponse, web
from yarl import URL

from bot.app import build_app
from bot.config import Settings
from tests.e2e.conftest import AppClient, chat

PASSWORD = "s3cret"
TO_SQL = [
    ("Halo", None),
    ("", "yes"),
    ("Budi", None),
    ("PT Maju", None),
    ("saya owner, saya yang memutuskan", None),
    ("", "s51_200"),
    ("butuh banget otomasi follow up", None),
    ("budget 100jt", None),
    ("bulan depan", None),
]
MakeClient = Callable[[web.Application], Awaitable[AppClient]]


@pytest.fixture
def admin_settings(tmp_path: Path) -> Settings:
    # No https public_url here: Secure cookies would never come back over the test's http.
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db", admin_password=PASSWORD)


@pytest.fixture
async def admin(aiohttp_client: MakeClient, admin_settings: Settings) -> AppClient:
    return await aiohttp_client(build_app(admin_settings))


def hidden(html: str, name: str) -> str:
    """The value of a hidden form field."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no {name} field in the page"
    return found.group(1)


async def login(client: AppClient, password: str = PASSWORD) -> ClientResponse:
    """Fill in the login form as a browser would; the response, not followed."""
    page = await (await client.get("/admin/login")).text()
    return await client.post(
        "/admin/login",
        data={"login_token": hidden(page, "login_token"), "next": "/admin", "password": password},
        allow_redirects=False,
    )


async def logged_in(client: AppClient) -> str:
    """Log in; the CSRF token of the session, read from the inbox."""
    response = await login(client)
    assert response.status == 303
    return hidden(await (await client.get("/admin")).text(), "csrf_token")


async def reach_sql(client: AppClient, session: str) -> None:
    stage = ""
    for n, (text, choice) in enumerate(TO_SQL):
        stage = (await chat(client, session, f"{session}-m{n}", text, choice))["stage"]
    assert stage == "sql"


async def lead_path(client: AppClient) -> str:
    """The link to the (only) lead in the inbox."""
    found = re.search(
        r'href="(/admin/leads/[0-9a-f]+)"', await (await client.get("/admin")).text()
    )
    assert found is not None, "no lead in the inbox"
    return found.group(1)


async def handoff_decision_path(client: AppClient) -> str:
    page = await (await client.get("/admin/handoffs")).text()
    found = re.search(r'action="(/admin/handoffs/[0-9a-f]+/decision)"', page)
    assert found is not None, "no decision form on the handoffs page"
    return found.group(1)


# login, sessions and CSRF


async def test_admin_without_session_redirects_to_login(admin: AppClient) -> None:
    response = await admin.get("/admin/handoffs", allow_redirects=False)

    assert response.status == 303
    location = URL(response.headers["Location"])
    assert location.path == "/admin/login"
    assert location.query["next"] == "/admin/handoffs"


async def test_post_without_session_is_forbidden(admin: AppClient) -> None:
    response = await admin.post("/admin/sdrs", data={"name": "Mallory"})

    assert response.status == 403


async def test_wrong_password_is_refused(admin: AppClient) -> None:
    response = await login(admin, "guess")
    inbox = await admin.get("/admin", allow_redirects=False)

    assert response.status == 401
    assert "Wrong password." in await response.text()
    assert inbox.status == 303


async def test_login_opens_the_inbox_with_a_locked_down_cookie(admin: AppClient) -> None:
    response = await login(admin)
    inbox = await admin.get("/admin")

    assert response.status == 303
    assert response.headers["Location"] == "/admin"
    cookie = response.cookies["qualibot_admin"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/admin"
    assert int(cookie["max-age"]) == 12 * 3600
    assert inbox.status == 200
    assert "<h1>Inbox</h1>" in await inbox.text()
    # scripts only from the admin's own files, never inline
    assert "script-src 'self';" in inbox.headers["Content-Security-Policy"]
    assert "unsafe-inline'; img" in inbox.headers["Content-Security-Policy"]  # styles only
    assert inbox.headers["X-Frame-Options"] == "DENY"


async def test_login_form_without_its_token_is_forbidden(admin: AppClient) -> None:
    response = await admin.post("/admin/login", data={"password": PASSWORD})

    assert response.status == 403


async def test_failures_from_elsewhere_never_refuse_the_right_password(
    admin: AppClient,
) -> None:
    for _ in range(3):
        assert (await login(admin, "guess")).status == 401

    response = await login(admin)

    assert response.status == 303
    assert "qualibot_admin" in response.cookies


async def test_forged_session_cookie_is_refused(admin: AppClient) -> None:
    admin.session.cookie_jar.update_cookies({"qualibot_admin": "abc.99999999999.forged"})

    response = await admin.get("/admin", allow_redirects=False)

    assert response.status == 303


async def test_logout_ends_the_session_even_for_a_copied_cookie(admin: AppClient) -> None:
    token = await logged_in(admin)
    cookie = admin.session.cookie_jar.filter_cookies(admin.make_url("/admin"))["qualibot_admin"]

    response = await admin.post("/admin/logout", data={"csrf_token": token}, allow_redirects=False)
    admin.session.cookie_jar.update_cookies({"qualibot_admin": cookie.value})
    replayed = await admin.get("/admin", allow_redirects=False)

    assert response.status == 303
    assert replayed.status == 303


async def test_a_logout_holds_after_a_restart_and_a_login_does_too(
    aiohttp_client: MakeClient, admin_settings: Settings
) -> None:
    first = await aiohttp_client(build_app(admin_settings))
    token = await logged_in(first)
    url = first.make_url("/admin")
    stays = first.session.cookie_jar.filter_cookies(url)["qualibot_admin"].value
    first.session.cookie_jar.clear()
    await logged_in(first)  # a second session, then logged out
    ended = first.session.cookie_jar.filter_cookies(url)["qualibot_admin"].value
    token = hidden(await (await first.get("/admin")).text(), "csrf_token")
    await first.post("/admin/logout", data={"csrf_token": token}, allow_redirects=False)
    await first.close()

    restarted = await aiohttp_client(build_app(admin_settings))
    restarted.session.cookie_jar.update_cookies({"qualibot_admin": ended})
    after_logout = await restarted.get("/admin", allow_redirects=False)
    restarted.session.cookie_jar.update_cookies({"qualibot_admin": stays})
    still_in = await restarted.get("/admin", allow_redirects=False)

    assert after_logout.status == 303
    assert still_in.status == 200


@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
async def test_post_without_the_csrf_token_is_forbidden(
    admin: AppClient, token: str | None
) -> None:
    await logged_in(admin)
    form = {"name": "Mallory"} | ({"csrf_token": token} if token else {})

    response = await admin.post("/admin/sdrs", data=form, allow_redirects=False)
    page = await (await admin.get("/admin/sdrs")).text()

    assert response.status == 403
    assert "Mallory" not in page


async def test_admin_is_disabled_without_a_password(
    aiohttp_client: MakeClient, tmp_path: Path
) -> None:
    client = await aiohttp_client(
        build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    )

    pages = [await client.get(path) for path in ("/admin", "/admin/login", "/admin/sdrs")]
    posted = await client.post("/admin/login", data={"password": ""})

    for response in [*pages, posted]:
        assert response.status == 503
        assert "set <code>QUALIBOT_ADMIN_PASSWORD</code>" in await response.text()


async def test_passwords_and_session_cookies_never_reach_the_logs(
    admin: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    await login(admin, "wrong-guess-123")
    response = await login(admin)

    cookie = response.cookies["qualibot_admin"].value
    assert "wrong-guess-123" not in caplog.text
    assert PASSWORD not in caplog.text
    assert cookie not in caplog.text


# pages


async def test_inbox_lists_leads_with_stage_and_funnel(admin: AppClient) -> None:
    await chat(admin, "s1", "m1", "Halo")
    await logged_in(admin)

    page = await (await admin.get("/admin")).text()

    assert "(1 leads)" in page
    assert len(re.findall(r'href="/admin/leads/[0-9a-f]+"', page)) == 1
    assert '<td data-label="Channel">web</td>' in page
    assert '<td data-label="Stage">lead</td>' in page


async def test_inbox_filters_by_stage_and_rejects_unknown_ones(admin: AppClient) -> None:
    await chat(admin, "s1", "m1", "Halo")
    await logged_in(admin)

    leads = await (await admin.get("/admin?stage=lead")).text()
    sqls = await (await admin.get("/admin?stage=sql&band=hot")).text()
    bogus = await admin.get("/admin?stage=bogus")

    assert "/admin/leads/" in leads
    assert "/admin/leads/" not in sqls
    assert bogus.status == 400


async def test_lead_page_shows_prospect_text_as_text(admin: AppClient) -> None:
    await chat(admin, "s1", "m1", "<script>alert(1)</script>")
    await chat(admin, "s1", "m2", "<img src=x onerror=alert(1)>")
    await logged_in(admin)

    page = await (await admin.get(await lead_path(admin))).text()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


async def test_lead_page_shows_transcript_slots_score_and_history(admin: AppClient) -> None:
    await reach_sql(admin, "s1")
    await logged_in(admin)

    page = await (await admin.get(await lead_path(admin))).text()

    transcript = page[page.index("<h2>Transcript</h2>") :]
    assert transcript.index("Halo") < transcript.index("PT Maju") < transcript.index("bulan depan")
    assert 'class="msg out"' in transcript
    assert 'class="choices"' in transcript  # the buttons the bot offered
    assert "<td>budget</td>" in page
    assert "<td>budget 100jt</td>" in page  # the prospect's own words
    assert re.search(r"<li>[+-]\d+ ", page) is not None  # a score reason
    assert "<td>sql</td>" in page  # stage history
    assert '<dd id="handoff-status">open</dd>' in page


async def test_unknown_lead_is_not_found(admin: AppClient) -> None:
    await logged_in(admin)

    response = await admin.get("/admin/leads/" + "0" * 32)

    assert response.status == 404


# handoffs


async def test_handoff_is_listed_and_accepted_by_form(admin: AppClient) -> None:
    await reach_sql(admin, "s1")
    token = await logged_in(admin)
    inbox = await (await admin.get("/admin")).text()
    action = await handoff_decision_path(admin)

    response = await admin.post(
        action, data={"csrf_token": token, "decision": "accepted"}, allow_redirects=False
    )
    lead_page = await (await admin.get(response.headers["Location"])).text()

    assert "Open handoffs" in inbox
    assert "Budi" in inbox
    assert response.status == 303
    assert '<dd id="handoff-status">accepted</dd>' in lead_page
    assert "admin at " in lead_page
    assert "<td>accepted</td>" in lead_page  # stage history


async def test_rejection_needs_a_reason_and_then_records_it(admin: AppClient) -> None:
    await reach_sql(admin, "s1")
    token = await logged_in(admin)
    action = await handoff_decision_path(admin)

    without = await admin.post(action, data={"csrf_token": token, "decision": "rejected"})
    rejected = await admin.post(
        action,
        data={"csrf_token": token, "decision": "rejected", "reason": "<b>student</b>"},
    )
    page = await rejected.text()

    assert without.status == 400
    assert rejected.status == 200
    assert '<dd id="handoff-status">rejected</dd>' in page
    assert "&lt;b&gt;student&lt;/b&gt;" in page


async def test_won_needs_an_accepted_handoff(admin: AppClient) -> None:
    await reach_sql(admin, "s1")
    token = await logged_in(admin)
    action = await handoff_decision_path(admin)

    early = await admin.post(action, data={"csrf_token": token, "decision": "won"})
    await admin.post(action, data={"csrf_token": token, "decision": "accepted"})
    won = await admin.post(
        action, data={"csrf_token": token, "decision": "won", "back": "handoffs"}
    )
    page = await won.text()

    assert early.status == 409
    assert won.status == 200
    assert '<td data-label="Status" class="status">won' in page


# SDRs


async def test_sdr_added_by_form_is_listed(admin: AppClient) -> None:
    token = await logged_in(admin)

    response = await admin.post(
        "/admin/sdrs",
        data={
            "csrf_token": token,
            "name": "Sari <SDR>",
            "telegram_chat_id": "123456789",
            "whatsapp_number": "0812-3456-7890",
        },
        allow_redirects=False,
    )
    page = await (await admin.get("/admin/sdrs")).text()

    assert response.status == 303
    assert '<td class="sdr-name">Sari &lt;SDR&gt;</td>' in page
    assert "<td>123456789</td>" in page
    assert "<td>6281234567890</td>" in page
    assert "Deactivate" in page


async def test_sdr_can_be_deactivated_and_activated_again(admin: AppClient) -> None:
    token = await logged_in(admin)
    await admin.post(
        "/admin/sdrs", data={"csrf_token": token, "name": "Sari", "telegram_chat_id": "777"}
    )

    await admin.post("/admin/sdrs/1/active", data={"csrf_token": token, "active": "0"})
    inactive = await (await admin.get("/admin/sdrs")).text()
    await admin.post("/admin/sdrs/1/active", data={"csrf_token": token, "active": "1"})
    active = await (await admin.get("/admin/sdrs")).text()

    assert "<td>no</td>" in inactive
    assert ">Activate</button>" in inactive
    assert "<td>yes</td>" in active


async def test_sdr_form_explains_what_is_wrong(admin: AppClient) -> None:
    token = await logged_in(admin)

    response = await admin.post(
        "/admin/sdrs",
        data={"csrf_token": token, "name": "Sari", "telegram_chat_id": "@sari"},
    )
    page = await response.text()

    assert response.status == 400
    assert "Telegram chat id must be a number" in page
    assert 'value="@sari"' in page


@pytest.mark.parametrize(("allow", "secure"), [("127.0.0.1", True), ("", False)])
async def test_session_cookie_is_secure_behind_a_trusted_tls_proxy(
    aiohttp_client: MakeClient, tmp_path: Path, allow: str, secure: bool
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        admin_password=PASSWORD,
        forwarded_allow_ips=allow,  # a string, as the environment gives it
    )
    client = await aiohttp_client(build_app(settings))
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    form = await client.get("/admin/login", headers=proxy)
    nonce = form.cookies["qualibot_admin_login"].value  # a browser sends it back over https

    response = await client.post(
        "/admin/login",
        data={"login_token": hidden(await form.text(), "login_token"), "password": PASSWORD},
        headers={**proxy, "Cookie": f"qualibot_admin_login={nonce}"},
        allow_redirects=False,
    )

    assert response.status == 303
    assert bool(response.cookies["qualibot_admin"]["secure"]) is secure


async def test_an_sdr_without_a_way_to_reach_them_is_refused(admin: AppClient) -> None:
    token = await logged_in(admin)

    response = await admin.post("/admin/sdrs", data={"csrf_token": token, "name": "Sari"})

    assert "Give a Telegram chat id or a WhatsApp number" in await response.text()
    assert "<td>Sari</td>" not in await (await admin.get("/admin/sdrs")).text()


async def test_an_admin_assigns_an_open_handoff_to_an_sdr(admin: AppClient) -> None:
    token = await logged_in(admin)
    await admin.post(
        "/admin/sdrs", data={"csrf_token": token, "name": "Sari", "telegram_chat_id": "777"}
    )
    await reach_sql(admin, "s1")
    page = await (await admin.get(await lead_path(admin))).text()
    found = re.search(r'action="(/admin/handoffs/[0-9a-f]+/assign)"', page)
    assert found is not None

    response = await admin.post(
        found.group(1), data={"csrf_token": token, "sdr_id": "1"}, allow_redirects=False
    )
    lead_page = await (await admin.get(response.headers["Location"])).text()

    sdrs_page = await (await admin.get("/admin/sdrs")).text()
    assert response.status == 303
    assert "<dt>SDR</dt><dd>Sari</dd>" in lead_page
    assert "assigned · Sari" in lead_page
    assert "<tr><td>1</td><td>1</td><td>0</td>" in sdrs_page  # KPIs: assigned 1, accepted 0


async def test_an_admin_accepts_an_unassigned_handoff_for_an_sdr(admin: AppClient) -> None:
    token = await logged_in(admin)
    await admin.post(
        "/admin/sdrs", data={"csrf_token": token, "name": "Sari", "telegram_chat_id": "777"}
    )
    await reach_sql(admin, "s1")
    page = await (await admin.get(await lead_path(admin))).text()
    action = await handoff_decision_path(admin)

    for_nobody = await admin.post(action, data={"csrf_token": token, "decision": "accepted"})
    for_sari = await admin.post(
        action,
        data={"csrf_token": token, "decision": "accepted", "sdr_id": "1"},
        allow_redirects=False,
    )
    lead_page = await (await admin.get(for_sari.headers["Location"])).text()

    assert '<select name="sdr_id" aria-label="Accepted by SDR" required>' in page
    assert for_nobody.status == 400
    assert "Choose the SDR who takes this lead" in await for_nobody.text()
    assert for_sari.status == 303
    assert '<dd id="handoff-status">accepted</dd>' in lead_page
    assert "<dt>SDR</dt><dd>Sari</dd>" in lead_page
