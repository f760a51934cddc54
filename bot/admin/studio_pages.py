"""The flow studio pages under /admin/flows: flows and versions, the editor (form and YAML),
the simulator, diffs, publish with a note, rollback. Server-rendered; forms post with the
session's CSRF token like every admin page; read-only pages need no JavaScript.
"""

import logging
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from bot.admin.flow_form import apply_form, fields_of
from bot.app import CLOCK, STUDIO
from bot.studio import Problem, SimulatedMessage, check_source, diff, simulate
from bot.web import read_form

if TYPE_CHECKING:
    from bot.admin.routes import AdminSite

logger = logging.getLogger(__name__)

NAME = r"{name:[a-z][a-z0-9_-]{0,63}}"


def _problems_by_question(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems filed under the question their path names (`questions[3](budget)...`)."""
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        start, end = problem.path.find("("), problem.path.find(")")
        if problem.path.startswith("questions[") and 0 < start < end:
            found.setdefault(problem.path[start + 1 : end], []).append(problem)
    return found


class StudioPages:
    """Request handlers of the studio; rendering and gatekeeping come from the admin site."""

    def __init__(self, site: "AdminSite") -> None:
        self.site = site

    async def flows(self, request: web.Request) -> web.StreamResponse:
        studio = request.config_dict[STUDIO]
        return self.site.render(
            request,
            "flows.html",
            nav="flows",
            flows=await studio.flows(),
            served=studio.registry.flow_id,
        )

    async def flow(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        studio = request.config_dict[STUDIO]
        summary = next((f for f in await studio.flows() if f.name == name), None)
        if summary is None:
            return self.site.problem(request, 404, f"There is no flow {name}.")
        changes: list[str] = []
        if summary.has_draft and summary.published_version is not None:
            draft = await studio.draft_source(name)
            live = await studio.version(name, summary.published_version)
            if draft is not None and live is not None:
                changes = diff(live.source, draft[0], f"v{live.version} (published)", "draft")
        funnel = {f.version: f for f in await studio.funnel(name)}
        return self.site.render(
            request,
            "flow.html",
            nav="flows",
            flow=summary,
            changes=changes,
            funnel=funnel,
            served=studio.registry.flow_id == name,
        )

    async def _editor(
        self,
        request: web.Request,
        name: str,
        source: str,
        *,
        problems: list[Problem] | None = None,
        status: int = 200,
        tab: str = "form",
        saved: bool = False,
    ) -> web.Response:
        problems = problems or []
        found = await request.config_dict[STUDIO].draft_source(name)
        return self.site.render(
            request,
            "flow_edit.html",
            status=status,
            nav="flows",
            name=name,
            source=source,
            fields=fields_of(source),
            problems=problems,
            by_question=_problems_by_question(problems),
            tab=tab,
            saved=saved,
            is_draft=found is not None and found[1],
        )

    async def edit(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        found = await request.config_dict[STUDIO].draft_source(name)
        if found is None:
            return self.site.problem(request, 404, f"There is no flow {name}.")
        tab = "yaml" if request.query.get("tab") == "yaml" else "form"
        return await self._editor(
            request, name, found[0], tab=tab, saved=request.query.get("saved") == "1"
        )

    async def save(self, request: web.Request) -> web.StreamResponse:
        """Save from either tab: the YAML as written, or the form applied to the draft."""
        name = request.match_info["name"]
        studio = request.config_dict[STUDIO]
        form = await read_form(request)
        tab = "yaml" if "yaml" in form else "form"
        if tab == "yaml":
            source = str(form["yaml"]).replace("\r\n", "\n")
        else:
            found = await studio.draft_source(name)
            if found is None:
                return self.site.problem(request, 404, f"There is no flow {name}.")
            source = apply_form(found[0], {k: str(v) for k, v in form.items()})
        problems = await studio.save_draft(name, source)
        if problems:
            return await self._editor(
                request, name, source, problems=problems, status=422, tab=tab
            )
        logger.info("admin saved a draft of flow %s", name)
        suffix = "&tab=yaml" if tab == "yaml" else ""
        raise web.HTTPSeeOther(f"/admin/flows/{name}/edit?saved=1{suffix}")

    async def simulator(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        studio = request.config_dict[STUDIO]
        flow = await studio.draft_flow(name)
        if flow is None:
            return self.site.problem(request, 404, f"There is no flow {name} to simulate.")
        script = ""
        turns: list[Any] = []
        if request.method == "POST":
            form = await read_form(request)
            script = str(form.get("script", ""))
            lines = [line.strip() for line in script.splitlines() if line.strip()]
            messages = [
                SimulatedMessage(choice=line[1:].strip())
                if line.startswith("#")
                else SimulatedMessage(text=line)
                for line in lines
            ]
            turns = simulate(flow, messages, request.config_dict[CLOCK]())
        return self.site.render(
            request, "flow_simulate.html", nav="flows", name=name, script=script, turns=turns
        )

    async def version(self, request: web.Request) -> web.StreamResponse:
        name, number = request.match_info["name"], int(request.match_info["version"])
        found = await request.config_dict[STUDIO].version(name, number)
        if found is None:
            return self.site.problem(request, 404, f"Flow {name} has no version {number}.")
        return self.site.render(
            request, "flow_version.html", nav="flows", name=name, version=found
        )

    async def diff(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        studio = request.config_dict[STUDIO]
        sources: list[tuple[str, str]] = []
        for key in ("from", "to"):
            wanted = request.query.get(key, "draft" if key == "to" else "")
            if wanted == "draft":
                found = await studio.draft_source(name)
                if found is None:
                    return self.site.problem(request, 404, f"There is no flow {name}.")
                sources.append(("draft" if found[1] else "published", found[0]))
            elif wanted.isdigit():
                version = await studio.version(name, int(wanted))
                if version is None:
                    return self.site.problem(request, 404, f"Flow {name} has no version {wanted}.")
                sources.append((f"v{version.version}", version.source))
            else:
                return self.site.problem(
                    request, 400, "Say which versions to compare: ?from=1&to=2 (or to=draft)."
                )
        (old_name, old), (new_name, new) = sources
        return self.site.render(
            request,
            "flow_diff.html",
            nav="flows",
            name=name,
            old_name=old_name,
            new_name=new_name,
            lines=diff(old, new, old_name, new_name),
        )

    async def publish(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        form = await read_form(request)
        note = str(form.get("note", "")).strip()[:500] or None
        studio = request.config_dict[STUDIO]
        found = await studio.draft_source(name)
        if found is not None and found[1]:
            _, problems = check_source(name, found[0])
            if problems:
                return self.site.problem(request, 422, "The draft does not validate; fix it.")
        version = await studio.publish(name, note)
        if version is None:
            return self.site.problem(request, 409, f"Flow {name} has no draft to publish.")
        logger.info("admin published flow %s v%d", name, version)
        raise web.HTTPSeeOther(f"/admin/flows/{name}?published={version}")

    async def rollback(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        form = await read_form(request)
        wanted = str(form.get("version", ""))
        if not wanted.isdigit():
            return self.site.problem(request, 400, "Say which version to roll back to.")
        version = await request.config_dict[STUDIO].rollback(name, int(wanted))
        if version is None:
            return self.site.problem(request, 404, f"Flow {name} has no version {wanted}.")
        logger.info("admin rolled flow %s back to v%s as v%d", name, wanted, version)
        raise web.HTTPSeeOther(f"/admin/flows/{name}?published={version}")


SCRIPTS: Final = frozenset({"studio.js", "live.js"})


async def admin_script(request: web.Request) -> web.Response:
    """The admin's own scripts (the CSP allows scripts from this site only, never inline)."""
    name = request.match_info["script"]
    if name not in SCRIPTS:
        raise web.HTTPNotFound
    text = resources.files("bot").joinpath(f"static/{name}").read_text(encoding="utf-8")
    return web.Response(
        text=text, content_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


def studio_routes(admin: web.Application, site: "AdminSite") -> None:
    pages = StudioPages(site)
    admin.router.add_get("/flows", pages.flows)
    admin.router.add_get(f"/flows/{NAME}", pages.flow)
    admin.router.add_get(f"/flows/{NAME}/edit", pages.edit)
    admin.router.add_post(f"/flows/{NAME}/edit", pages.save)
    admin.router.add_get(f"/flows/{NAME}/simulate", pages.simulator)
    admin.router.add_post(f"/flows/{NAME}/simulate", pages.simulator)
    admin.router.add_get(f"/flows/{NAME}/versions/{{version:[0-9]{{1,9}}}}", pages.version)
    admin.router.add_get(f"/flows/{NAME}/diff", pages.diff)
    admin.router.add_post(f"/flows/{NAME}/publish", pages.publish)
    admin.router.add_post(f"/flows/{NAME}/rollback", pages.rollback)
    admin.router.add_get(r"/static/{script:[a-z]+\.js}", admin_script)
