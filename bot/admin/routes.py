"""The admin web: inbox, lead pages, handoff decisions and SDRs under /admin, behind the login.

All pages live in one aiohttp sub-application whose middleware does the gatekeeping, so a page
added later is protected by default: no session -> /admin/login (GET) or 403 (POST), and every
POST must carry the session's CSRF token. Templates autoescape everything: prospect text is
shown as text, never as markup, and a Content-Security-Policy without scripts backs that up.
"""

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.admin.auth import (
    COOKIE_PATH,
    LOGIN_COOKIE,
    LOGIN_FORM_TTL,
    SESSION_COOKIE,
    SESSION_TTL,
    AdminAuth,
    AdminSession,
)
from bot.admin.dashboard import dashboard_routes
from bot.admin.forms import parse_decision, parse_sdr_form
from bot.admin.rendering import (
    folded,
    query_string,
    security_headers,
    slot_views,
    templates,
)
from bot.admin.studio_pages import studio_routes
from bot.admin.throttle import Flooding, LoginThrottle
from bot.app import CRM, DB, FLOW, FLOWS, NOTIFIERS, PIPELINE, SETTINGS, WORKER, WRITER, utc_now
from bot.channels.whatsapp_sender import mask
from bot.web import Handler, read_form
from dialogs import ConversationState, Flow
from handoff.assignment import hand_to
from handoff.decisions import record_decision
from handoff.kpis import sdr_kpis
from scoring import Band, Stage, score
from storage import admin_sessions
from storage.conversations import get_conversation
from storage.database import Transaction
from storage.handoff_events import list_all_events, list_events
from storage.handoffs import get_handoff, get_handoff_for_lead
from storage.handoffs import list_handoffs as list_handoff_items
from storage.leads import funnel_counts, get_lead, list_leads, list_stage_changes
from storage.messages import StoredMessage, transcript
from storage.outbox import enqueue
from storage.score_events import list_score_events
from storage.sdrs import Sdr, add_sdr, get_sdr, list_sdrs, set_active

logger = logging.getLogger(__name__)

PAGE_SIZE: Final = 50
HANDOFF_STATUSES: Final = ("open", "accepted", "rejected", "won", "lost")
STAGES: Final = frozenset(stage.value for stage in Stage)
BANDS: Final = frozenset(band.value for band in Band)
PUBLIC_ROUTES: Final = frozenset({"admin.login", "admin.login.submit"})
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
# Where a login may send the admin afterwards: admin paths only, never another site.
_NEXT_PATH: Final = re.compile(r"^/admin(/[A-Za-z0-9_\-/]*)?$")
SESSION: Final = web.RequestKey("admin_session", AdminSession)


class AdminSite:
    """The admin pages: request handlers over the storage reads, rendered with jinja2."""

    def __init__(
        self,
        auth: AdminAuth | None,
        env: jinja2.Environment,
        clock: Callable[[], datetime],
        throttle: LoginThrottle,
    ) -> None:
        self.auth = auth
        self.env = env
        self.clock = clock
        self.throttle = throttle

    # rendering

    def render(
        self, request: web.Request, template: str, *, status: int = 200, **context: Any
    ) -> web.Response:
        session = request.get(SESSION)
        context.setdefault("nav", "")
        html = self.env.get_template(template).render(
            csrf_token=session.csrf_token if session else "",
            logged_in=session is not None,
            **context,
        )
        return web.Response(text=html, status=status, content_type="text/html")

    def problem(self, request: web.Request, status: int, message: str) -> web.Response:
        return self.render(
            request, "problem.html", status=status, status_code=status, message=message
        )

    # gatekeeping

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Session required except on the login page; CSRF token required on every POST."""
        auth = self.auth
        if auth is None:
            return self.render(request, "disabled.html", status=503)
        if request.match_info.route.name in PUBLIC_ROUTES:
            return await handler(request)
        session = await self.open_session_of(request)
        if session is None:
            if request.method in SAFE_METHODS:
                target = request.path if _NEXT_PATH.match(request.path) else "/admin"
                raise web.HTTPSeeOther("/admin/login" + query_string(next=target))
            return self.problem(request, 403, "You are not logged in. Log in at /admin/login.")
        request[SESSION] = session
        if request.method not in SAFE_METHODS:
            form = await read_form(request)
            if not auth.csrf_ok(session, form.get("csrf_token")):
                logger.warning(
                    "admin %s %s refused: missing or wrong CSRF token",
                    request.method,
                    request.path,
                )
                return self.problem(
                    request,
                    403,
                    "The form's security token is missing or wrong. "
                    "Reload the page and submit it again.",
                )
        return await handler(request)

    # login and logout

    def _login_page(
        self, request: web.Request, *, status: int = 200, error: str = ""
    ) -> web.Response:
        auth = self.require_auth()
        nonce = auth.new_login_nonce()
        target = request.query.get("next", "/admin")
        response = self.render(
            request,
            "login.html",
            status=status,
            login_token=auth.login_token(nonce),
            next=target if _NEXT_PATH.match(target) else "/admin",
            error=error,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=int(LOGIN_FORM_TTL.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookies(request),
        )
        return response

    def require_auth(self) -> AdminAuth:
        if self.auth is None:  # pragma: no cover - guard answers before any handler runs
            raise web.HTTPServiceUnavailable(text="admin disabled: set QUALIBOT_ADMIN_PASSWORD")
        return self.auth

    @staticmethod
    def secure_cookies(request: web.Request) -> bool:
        # Secure cookies would never come back over plain http (the embedded default).
        return request.secure or request.config_dict[SETTINGS].base_url.startswith("https://")

    async def open_session_of(self, request: web.Request) -> AdminSession | None:
        """The session the request's cookie proves, if it is stored and not logged out."""
        session = self.require_auth().session_of(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        async with request.config_dict[DB].connection() as conn:
            is_open = await admin_sessions.is_open(conn, session.id, self.clock())
        return session if is_open else None

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        if await self.open_session_of(request) is not None:
            raise web.HTTPSeeOther("/admin")
        return self._login_page(request)

    async def login(self, request: web.Request) -> web.StreamResponse:
        auth = self.require_auth()
        form = await read_form(request)
        ip = request.remote or "unknown"
        if not auth.login_form_ok(request.cookies.get(LOGIN_COOKIE), form.get("login_token")):
            return self.problem(request, 403, "The login form expired. Reload it and try again.")
        try:
            async with self.throttle.turn(ip):
                right = auth.check_password(str(form.get("password", "")))
                if right:
                    self.throttle.succeeded(ip)
                else:
                    self.throttle.failed(ip)
        except Flooding:
            logger.warning("admin login from %s refused: too many attempts at once", ip)
            response = self._login_page(
                request,
                status=429,
                error="Too many login attempts at once. Wait a moment and try again.",
            )
            response.headers["Retry-After"] = "5"
            return response
        if not right:
            logger.warning("admin login failed from %s", ip)
            return self._login_page(request, status=401, error="Wrong password.")
        session, cookie = auth.new_session()
        async with request.config_dict[DB].transaction() as conn:
            await admin_sessions.open_session(
                conn, session.id, at=self.clock(), expires_at=session.expires_at
            )
        logger.info("admin logged in from %s", ip)
        target = str(form.get("next", "/admin"))
        response = web.HTTPSeeOther(target if _NEXT_PATH.match(target) else "/admin")
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=int(SESSION_TTL.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookies(request),
        )
        response.del_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        async with request.config_dict[DB].transaction() as conn:
            await admin_sessions.close_session(conn, request[SESSION].id, self.clock())
        response = web.HTTPSeeOther("/admin/login")
        response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        raise response

    # pages

    async def inbox(self, request: web.Request) -> web.StreamResponse:
        stage = request.query.get("stage") or None
        band = request.query.get("band") or None
        search = request.query.get("q", "").strip()[:100] or None
        page = request.query.get("page", "1")
        if stage is not None and stage not in STAGES:
            return self.problem(request, 400, f"Unknown stage {stage!r}.")
        if band is not None and band not in BANDS:
            return self.problem(request, 400, f"Unknown band {band!r}.")
        if not page.isdigit() or int(page) < 1:
            return self.problem(request, 400, f"Page must be a number from 1, not {page!r}.")
        number = int(page)
        async with request.config_dict[DB].connection() as conn:
            funnel = await funnel_counts(conn)
            leads = await list_leads(
                conn,
                stage=stage,
                band=band,
                search=search,
                limit=PAGE_SIZE + 1,
                offset=(number - 1) * PAGE_SIZE,
            )
            handoffs = await list_handoff_items(conn, status="open", limit=PAGE_SIZE)
            sdrs = await list_sdrs(conn)
        return self.render(
            request,
            "inbox.html",
            nav="inbox",
            funnel=[(s.value, funnel.get(s.value, 0)) for s in Stage],
            total=sum(funnel.values()),
            leads=leads[:PAGE_SIZE],
            stages=[s.value for s in Stage],
            bands=[b.value for b in Band],
            stage=stage or "",
            band=band or "",
            search=search or "",
            page=number,
            previous_page=query_string(stage=stage, band=band, q=search, page=number - 1)
            if number > 1
            else "",
            next_page=query_string(stage=stage, band=band, q=search, page=number + 1)
            if len(leads) > PAGE_SIZE
            else "",
            handoffs=handoffs,
            sdr_names=_names(sdrs),
            now=self.clock(),
        )

    async def lead(self, request: web.Request) -> web.StreamResponse:
        lead_id = request.match_info["lead_id"]
        async with request.config_dict[DB].connection() as conn:
            lead = await get_lead(conn, lead_id)
            if lead is None:
                return self.problem(request, 404, f"There is no lead {lead_id}.")
            messages = await transcript(conn, lead_id)
            conversation = await get_conversation(conn, lead_id)
            events = await list_score_events(conn, lead_id)
            stages = await list_stage_changes(conn, lead_id)
            handoff = await get_handoff_for_lead(conn, lead_id)
            sdr = await get_sdr(conn, handoff.sdr_id) if handoff and handoff.sdr_id else None
            steps = await list_events(conn, handoff.id) if handoff else []
            people = await list_sdrs(conn)
            sdr_names = {s.id: s.name for s in people}
        now = self.clock()
        flow = _flow_of(request, conversation.state_json if conversation else None)
        current = score(events, now, flow.policy)
        slots, state_problem = slot_views(conversation.state_json if conversation else None, flow)
        summary = handoff.summary if handoff and isinstance(handoff.summary, dict) else {}
        return self.render(
            request,
            "lead.html",
            nav="inbox",
            lead=lead,
            messages=messages,
            slots=slots,
            state_problem=state_problem,
            score=current,
            reasons=folded(current.explain()),
            pressed=_pressed(messages),
            stages=stages,
            handoff=handoff,
            summary=summary,
            sdr=sdr,
            handoff_events=steps,
            sdr_names=sdr_names,
            active_sdrs=[s for s in people if s.active],
            overdue=handoff is not None and handoff.status == "open" and handoff.due_at < now,
            now=now,
        )

    async def handoffs(self, request: web.Request) -> web.StreamResponse:
        status = request.query.get("status") or None
        page = request.query.get("page", "1")
        if status is not None and status not in HANDOFF_STATUSES:
            return self.problem(request, 400, f"Unknown handoff status {status!r}.")
        if not page.isdigit() or int(page) < 1:
            return self.problem(request, 400, f"Page must be a number from 1, not {page!r}.")
        number = int(page)
        async with request.config_dict[DB].connection() as conn:
            items = await list_handoff_items(
                conn, status=status, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
            )
            sdrs = await list_sdrs(conn)
        return self.render(
            request,
            "handoffs.html",
            nav="handoffs",
            handoffs=items[:PAGE_SIZE],
            statuses=HANDOFF_STATUSES,
            status_filter=status or "",
            previous_page=query_string(status=status, page=number - 1) if number > 1 else "",
            next_page=query_string(status=status, page=number + 1)
            if len(items) > PAGE_SIZE
            else "",
            sdr_names=_names(sdrs),
            active_sdrs=[s for s in sdrs if s.active],
            now=self.clock(),
        )

    async def decide(self, request: web.Request) -> web.StreamResponse:
        handoff_id = request.match_info["handoff_id"]
        form = await read_form(request)
        decision, reason, problem = parse_decision(form)
        if decision is None:
            return self.problem(request, 400, problem or "Invalid decision.")
        raw_sdr = str(form.get("sdr_id", "")).strip()
        async with request.config_dict[DB].connection() as conn:
            handoff = await get_handoff(conn, handoff_id)
            taker = await get_sdr(conn, int(raw_sdr)) if raw_sdr.isdigit() else None
            anyone = any(s.active for s in await list_sdrs(conn))
        if handoff is None:
            return self.problem(request, 404, f"There is no handoff {handoff_id}.")
        sdr_id = handoff.sdr_id
        if decision == "accepted" and sdr_id is None and anyone:
            # An admin accepts for someone: the lead must not stay with nobody.
            if taker is None or not taker.active:
                return self.problem(
                    request, 400, "Choose the SDR who takes this lead (or Assign it first)."
                )
            sdr_id = taker.id
        now = self.clock()
        # Through the single writer, so the decision commits in line with the turns.
        changed = await request.config_dict[WRITER].run(
            lambda conn: record_decision(
                conn,
                handoff_id,
                decision,
                by="admin",
                at=now,
                reason=reason,
                crm=request.config_dict[CRM],
                sdr_id=sdr_id,
            )
        )
        if not changed:
            return self.problem(
                request,
                409,
                f"This handoff is {handoff.status}: it cannot be marked {decision} "
                "(accept or reject an open handoff; mark an accepted one won or lost).",
            )
        request.config_dict[PIPELINE].forget_lead(handoff.lead_id)
        logger.info("admin marked handoff %s %s", handoff_id, decision)
        if form.get("back") == "handoffs":
            raise web.HTTPSeeOther("/admin/handoffs")
        raise web.HTTPSeeOther(f"/admin/leads/{handoff.lead_id}")

    async def assign(self, request: web.Request) -> web.StreamResponse:
        """Give an open handoff to an SDR (or to another one): they get the notice."""
        handoff_id = request.match_info["handoff_id"]
        form = await read_form(request)
        raw = str(form.get("sdr_id", ""))
        if not raw.isdigit():
            return self.problem(request, 400, "Choose an SDR.")
        now = self.clock()
        notifiers = request.config_dict[NOTIFIERS]
        channels = list(notifiers)

        async def job(conn: Transaction) -> str | None:
            handoff = await get_handoff(conn, handoff_id)
            sdr = await get_sdr(conn, int(raw))
            if handoff is None or sdr is None or not sdr.active:
                return None
            previous = await get_sdr(conn, handoff.sdr_id) if handoff.sdr_id else None
            rows = await hand_to(conn, handoff, sdr, now=now, channels=channels, previous=previous)
            if rows is None:
                return ""
            await enqueue(conn, rows)
            return handoff.lead_id

        lead: str | None = await request.config_dict[WRITER].run(job)
        if lead is None:
            return self.problem(request, 404, "No such handoff, or no such active SDR.")
        if not lead:
            return self.problem(request, 409, "Only an open handoff can be assigned.")
        worker = request.config_dict.get(WORKER)
        if worker is not None:
            worker.wake.set()
        raise web.HTTPSeeOther(f"/admin/leads/{lead}")

    async def sdrs(self, request: web.Request) -> web.StreamResponse:
        async with request.config_dict[DB].connection() as conn:
            sdrs = await list_sdrs(conn)
            events = await list_all_events(conn)
        accept = timedelta(minutes=request.config_dict[SETTINGS].sla.accept_minutes)
        kpis = [
            k.as_json() for k in sdr_kpis(events, accept_sla=accept, sdr_ids=[s.id for s in sdrs])
        ]
        return self.render(
            request, "sdrs.html", nav="sdrs", sdrs=sdrs, problems=[], form={}, kpis=kpis
        )

    async def add_sdr(self, request: web.Request) -> web.StreamResponse:
        form = await read_form(request)
        new, problems = parse_sdr_form(form)
        if new is None:
            async with request.config_dict[DB].connection() as conn:
                sdrs = await list_sdrs(conn)
            entered = {
                key: str(form.get(key, ""))
                for key in ("name", "telegram_chat_id", "whatsapp_number")
            }
            return self.render(
                request,
                "sdrs.html",
                status=400,
                nav="sdrs",
                sdrs=sdrs,
                problems=problems,
                form=entered,
                kpis=[],
            )
        now = self.clock()
        sdr_id = await request.config_dict[WRITER].run(
            lambda conn: add_sdr(
                conn,
                new.name,
                now=now,
                telegram_chat_id=new.telegram_chat_id,
                whatsapp_number=new.whatsapp_number,
            )
        )
        logger.info(
            "admin added SDR %s (telegram %s, whatsapp %s)",
            sdr_id,
            mask(new.telegram_chat_id) if new.telegram_chat_id else "-",
            mask(new.whatsapp_number) if new.whatsapp_number else "-",
        )
        raise web.HTTPSeeOther("/admin/sdrs")

    async def set_sdr_active(self, request: web.Request) -> web.StreamResponse:
        sdr_id = int(request.match_info["sdr_id"])
        form = await read_form(request)
        active = form.get("active")
        if active not in ("0", "1"):
            return self.problem(request, 400, "Field 'active' must be 0 or 1.")
        changed = await request.config_dict[WRITER].run(
            lambda conn: set_active(conn, sdr_id, active == "1")
        )
        if not changed:
            return self.problem(request, 404, f"There is no SDR {sdr_id}.")
        logger.info("admin %s SDR %s", "activated" if active == "1" else "deactivated", sdr_id)
        raise web.HTTPSeeOther("/admin/sdrs")


def _flow_of(request: web.Request, state_json: str | None) -> Flow:
    """The flow version the lead's conversation runs on (the live one if unknown)."""
    registry = request.config_dict[FLOWS]
    if state_json is not None:
        try:
            state = ConversationState.model_validate_json(state_json)
        except ValueError:
            return registry.live
        return registry.get(state.flow_id, state.flow_version) or registry.live
    return registry.live


def _pressed(messages: list[StoredMessage]) -> dict[str, str]:
    """Inbound button presses by message id -> the label of the button pressed (from the
    buttons the bot offered just before), so a press shows as what the prospect saw."""
    offered: dict[str, str] = {}
    labels: dict[str, str] = {}
    for message in messages:
        if message.direction == "out" and message.choices:
            offered = {str(c.get("id")): str(c.get("label", "")) for c in message.choices}
        elif message.direction == "in" and message.choice_id:
            labels[message.id] = offered.get(message.choice_id, message.choice_id)
    return labels


def _names(sdrs: list[Sdr]) -> dict[int, str]:
    return {sdr.id: sdr.name for sdr in sdrs}


def admin_routes(app: web.Application, *, clock: Callable[[], datetime] = utc_now) -> None:
    """Mount the admin under /admin; without an admin password it only says how to enable it."""
    password = app[SETTINGS].admin_password
    auth = AdminAuth(password, clock=clock) if password and password.get_secret_value() else None

    def live_flow() -> Flow:
        return app[FLOWS].live if FLOWS in app else app[FLOW]

    zone = ZoneInfo(app[SETTINGS].admin_timezone)
    site = AdminSite(auth, templates(zone, live_flow), clock, LoginThrottle(clock=clock))
    # Admin forms are a few fields, or a flow's YAML from the studio's editor (bant: ~10 KiB).
    admin = web.Application(middlewares=[site.guard], client_max_size=512 * 1024)
    admin.on_response_prepare.append(security_headers)
    if auth is None:
        logger.warning("admin disabled: set QUALIBOT_ADMIN_PASSWORD to enable /admin")
    lead_id, object_id = r"{lead_id:[A-Za-z0-9_\-]{1,64}}", r"{handoff_id:[A-Za-z0-9_\-]{1,64}}"
    admin.router.add_get("", site.inbox, name="admin.inbox")
    admin.router.add_get("/", site.inbox)
    admin.router.add_get("/login", site.login_page, name="admin.login")
    admin.router.add_post("/login", site.login, name="admin.login.submit")
    admin.router.add_post("/logout", site.logout)
    admin.router.add_get(f"/leads/{lead_id}", site.lead)
    admin.router.add_get("/handoffs", site.handoffs)
    admin.router.add_post(f"/handoffs/{object_id}/decision", site.decide)
    admin.router.add_post(f"/handoffs/{object_id}/assign", site.assign)
    admin.router.add_get("/sdrs", site.sdrs)
    admin.router.add_post("/sdrs", site.add_sdr)
    admin.router.add_post(r"/sdrs/{sdr_id:[0-9]{1,9}}/active", site.set_sdr_active)
    studio_routes(admin, site)
    dashboard_routes(admin, site)
    if auth is None:
        # Any other admin path (including unknown ones) gets the same "disabled" page.
        admin.router.add_route("*", "/{tail:.*}", site.inbox)
    app.add_subapp("/admin", admin)
