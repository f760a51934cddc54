"""The dashboard page (/admin/dashboard) and its CSV (/admin/dashboard.csv): the funnel's
KPIs with date-range and source filters, bar charts drawn as SVG on the server."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.app import CLOCK, DB, SETTINGS, STUDIO
from storage.dashboard import Dashboard, Filters, GroupRow, Reached, dashboard, sources

if TYPE_CHECKING:
    from bot.admin.routes import AdminSite

BAR_WIDTH: Final = 240  # px of the longest bar


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    width: int
    note: str


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def bars(items: list[tuple[str, int, str]]) -> list[Bar]:
    """Bars scaled to the largest value."""
    top = max((value for _, value, _ in items), default=0)
    return [
        Bar(label, value, round(BAR_WIDTH * value / top) if top else 0, note)
        for label, value, note in items
    ]


def funnel_bars(reached: Reached) -> list[Bar]:
    steps = [
        ("Leads", reached.leads, ""),
        ("MQL", reached.mql, rate(reached.mql, reached.leads)),
        ("SQL", reached.sql, rate(reached.sql, reached.mql)),
        ("Accepted", reached.accepted, rate(reached.accepted, reached.sql)),
        ("Won", reached.won, rate(reached.won, reached.accepted)),
    ]
    return bars(steps)


def group_bars(rows: list[GroupRow]) -> list[Bar]:
    """Leads per group, noting how many reached SQL."""
    return bars(
        [
            (row.key, row.reached.leads, f"SQL {rate(row.reached.sql, row.reached.leads)}")
            for row in rows
        ]
    )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _day(value: str, zone: ZoneInfo) -> datetime | None:
    """`2026-05-01` as the start of that day in the admin's zone; ValueError if malformed."""
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(), tzinfo=zone)


def filters_of(request: web.Request) -> tuple[Filters, dict[str, str]]:
    zone = ZoneInfo(request.config_dict[SETTINGS].admin_timezone)
    given = {key: request.query.get(key, "").strip() for key in ("from", "to", "source")}
    since = _day(given["from"], zone)
    until = _day(given["to"], zone)
    return (
        Filters(
            since=since,
            until=until + timedelta(days=1) if until else None,  # the "to" day is included
            source=given["source"] or None,
        ),
        given,
    )


def csv_of(data: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "key", "leads", "mql", "sql", "accepted", "won"])
    r = data.reached
    writer.writerow(["all", "all", r.leads, r.mql, r.sql, r.accepted, r.won])
    for kind, rows in (("band", data.bands), ("source", data.sources)):
        for row in rows:
            g = row.reached
            writer.writerow([kind, row.key, g.leads, g.mql, g.sql, g.accepted, g.won])
    writer.writerow([])
    writer.writerow(["metric", "value"])
    seconds = data.time_to_sql_seconds
    writer.writerow(["time_to_sql_seconds", "" if seconds is None else round(seconds)])
    writer.writerow(["sla_handoffs", data.sla.handoffs])
    writer.writerow(["sla_met", data.sla.met])
    writer.writerow(["sla_missed", data.sla.missed])
    return out.getvalue()


class DashboardPages:
    def __init__(self, site: "AdminSite") -> None:
        self.site = site

    async def _load(self, request: web.Request) -> tuple[Dashboard, Filters, dict[str, str]] | str:
        try:
            filters, given = filters_of(request)
        except ValueError:
            return "Dates are YYYY-MM-DD, e.g. 2026-05-01."
        now = request.config_dict[CLOCK]()
        async with request.config_dict[DB].connection() as conn:
            return await dashboard(conn, filters, now), filters, given

    async def page(self, request: web.Request) -> web.StreamResponse:
        loaded = await self._load(request)
        if isinstance(loaded, str):
            return self.site.problem(request, 400, loaded)
        data, filters, given = loaded
        async with request.config_dict[DB].connection() as conn:
            known_sources = await sources(conn)
        studio = request.config_dict[STUDIO]
        flow_id = studio.registry.flow_id
        sla = data.sla
        return self.site.render(
            request,
            "dashboard.html",
            nav="dashboard",
            data=data,
            given=given,
            sources=known_sources,
            funnel=funnel_bars(data.reached),
            bands=group_bars(data.bands),
            by_source=group_bars(data.sources),
            time_to_sql=duration(data.time_to_sql_seconds),
            sla_rate=rate(sla.met, sla.met + sla.missed),
            rate=rate,
            flow_id=flow_id,
            drop_off=await studio.funnel(flow_id, filters),
            bar_width=BAR_WIDTH,
            query=request.query_string,
        )

    async def csv(self, request: web.Request) -> web.StreamResponse:
        loaded = await self._load(request)
        if isinstance(loaded, str):
            return self.site.problem(request, 400, loaded)
        return web.Response(
            text=csv_of(loaded[0]),
            content_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="qualibot-dashboard.csv"'},
        )


def dashboard_routes(admin: web.Application, site: "AdminSite") -> None:
    pages = DashboardPages(site)
    admin.router.add_get("/dashboard", pages.page)
    admin.router.add_get("/dashboard.csv", pages.csv)
