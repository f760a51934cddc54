"""The JSON admin API under /api/admin: flows, drafts, the simulator, publish, rollback,
versions and the funnel. Every request needs `Authorization: Bearer $QUALIBOT_ADMIN_TOKEN`;
without a configured token the API refuses everything (401).
"""

import hmac
import logging
from typing import Annotated, Any, Final, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app import CLOCK, SETTINGS, STUDIO
from bot.errors import BadPayload
from bot.studio import SimulatedMessage, simulate
from bot.web import Handler, read_body

logger = logging.getLogger(__name__)

MAX_FLOW_BYTES: Final = 512 * 1024
NAME: Final = r"{name:[a-z][a-z0-9_-]{0,63}}"
M = TypeVar("M", bound=BaseModel)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(max_length=4000)] = ""
    choice: Annotated[str, Field(max_length=200)] | None = None


class SimulateRequest(BaseModel):
    """`{"messages": ["Halo", {"choice": "yes"}, ...]}`: texts, or buttons by option id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: Annotated[
        list[Annotated[str, Field(max_length=4000)] | _Message], Field(max_length=50)
    ]
    language: str = "en"  # the language of the slot values in words


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    note: Annotated[str, Field(max_length=500)] | None = None


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[int, Field(ge=1)]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


def _parse(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate(orjson.loads(raw or b"{}"))
    except orjson.JSONDecodeError as e:
        raise BadPayload(f"body is not valid JSON: {e}") from e
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise BadPayload(problems) from e


@web.middleware
async def bearer_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 unless the request carries the configured admin token."""
    token = request.config_dict[SETTINGS].admin_token
    expected = token.get_secret_value() if token is not None else ""
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not expected:
        return _error(401, "the admin API is off: set QUALIBOT_ADMIN_TOKEN")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        logger.warning("admin API %s %s refused: no or wrong token", request.method, request.path)
        response = _error(401, "send Authorization: Bearer <QUALIBOT_ADMIN_TOKEN>")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return await handler(request)


async def list_flows(request: web.Request) -> web.Response:
    studio = request.config_dict[STUDIO]
    return _json(
        {
            "flows": [
                {
                    "name": flow.name,
                    "published_version": flow.published_version,
                    "has_draft": flow.has_draft,
                    "versions": [
                        {
                            "version": v.version,
                            "status": v.status,
                            "published_at": v.published_at,
                            "note": v.note,
                        }
                        for v in flow.versions
                    ],
                }
                for flow in await studio.flows()
            ]
        }
    )


async def get_draft(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    found = await request.config_dict[STUDIO].draft_source(name)
    if found is None:
        return _error(404, f"there is no flow {name!r}")
    return web.Response(text=found[0], content_type="text/yaml", charset="utf-8")


async def put_draft(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    raw = await read_body(request, MAX_FLOW_BYTES)
    if request.content_type == "application/json":
        body = orjson.loads(raw) if raw else None
        if not isinstance(body, dict) or not isinstance(body.get("yaml"), str):
            raise BadPayload('a JSON body is {"yaml": "<the flow>"}; or send the YAML itself')
        source = body["yaml"]
    else:
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadPayload(f"the flow is not UTF-8 text: {e}") from e
    problems = await request.config_dict[STUDIO].save_draft(name, source)
    if problems:
        return _json({"errors": [p.as_json() for p in problems]}, 422)
    logger.info("admin API saved a draft of flow %s", name)
    return _json({"saved": True, "name": name})


async def simulate_draft(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    body = _parse(SimulateRequest, await read_body(request, MAX_FLOW_BYTES))
    flow = await request.config_dict[STUDIO].draft_flow(name)
    if flow is None:
        return _error(404, f"there is no flow {name!r}")
    messages = [
        SimulatedMessage(text=m) if isinstance(m, str) else SimulatedMessage(m.text, m.choice)
        for m in body.messages
    ]
    turns = simulate(flow, messages, request.config_dict[CLOCK](), body.language)
    return _json({"turns": [turn.as_json() for turn in turns]})


async def publish(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    body = _parse(PublishRequest, await read_body(request, 64 * 1024))
    version = await request.config_dict[STUDIO].publish(name, body.note)
    if version is None:
        return _error(409, f"flow {name!r} has no draft to publish")
    logger.info("admin API published flow %s v%d", name, version)
    return _json({"version": version})


async def rollback(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    body = _parse(RollbackRequest, await read_body(request, 64 * 1024))
    version = await request.config_dict[STUDIO].rollback(name, body.version)
    if version is None:
        return _error(404, f"flow {name!r} has no version {body.version}")
    logger.info("admin API rolled flow %s back to v%d as v%d", name, body.version, version)
    return _json({"version": version})


async def get_version(request: web.Request) -> web.StreamResponse:
    name, number = request.match_info["name"], int(request.match_info["version"])
    found = await request.config_dict[STUDIO].version(name, number)
    if found is None:
        return _error(404, f"flow {name!r} has no version {number}")
    return web.Response(text=found.source, content_type="text/yaml", charset="utf-8")


async def funnel(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    studio = request.config_dict[STUDIO]
    if not await studio.exists(name):
        return _error(404, f"there is no flow {name!r}")
    versions = await studio.funnel(name)
    return _json(
        {
            "versions": [
                {
                    "version": v.version,
                    "conversations": v.conversations,
                    "stages": v.stages,
                    "questions": [
                        {
                            "id": q.id,
                            "asked": q.asked,
                            "answered": q.answered,
                            "dropped": q.dropped,
                        }
                        for q in v.questions
                    ],
                }
                for v in versions
            ]
        }
    )


def admin_api_routes(app: web.Application) -> None:
    """Mount the JSON admin API at /api/admin."""
    api = web.Application(middlewares=[bearer_middleware], client_max_size=MAX_FLOW_BYTES)
    api.router.add_get("/flows", list_flows)
    api.router.add_get(f"/flows/{NAME}/draft", get_draft)
    api.router.add_put(f"/flows/{NAME}/draft", put_draft)
    api.router.add_post(f"/flows/{NAME}/simulate", simulate_draft)
    api.router.add_post(f"/flows/{NAME}/publish", publish)
    api.router.add_post(f"/flows/{NAME}/rollback", rollback)
    api.router.add_get(f"/flows/{NAME}/versions/{{version:[0-9]{{1,9}}}}", get_version)
    api.router.add_get(f"/flows/{NAME}/funnel", funnel)
    app.add_subapp("/api/admin", api)
