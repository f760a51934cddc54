"""A CRM's webhook receiver: records every POST, checks its signature the way the README
tells a CRM to (HMAC-SHA256 of the raw body), and can refuse the next posts."""

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.server import LocalServer

Json = dict[str, Any]


@dataclass
class CrmSink(LocalServer):
    """POST /events: 204 and recorded; `fail_next` answers 503 instead."""

    secret: str = ""
    events: list[Json] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)
    fail_next: int = 0
    refused: list[Json] = field(default_factory=list)  # bodies answered 503

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/events", self._receive)
        return app

    @property
    def root_url(self) -> str:
        return self.url("/events")

    async def _receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if self.fail_next:
            self.fail_next -= 1
            self.refused.append(orjson.loads(raw))
            return web.Response(status=503)
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        header = request.headers.get("X-Qualibot-Signature", "")
        self.verified.append(hmac.compare_digest(header, expected))
        self.events.append(orjson.loads(raw))
        return web.Response(status=204)

    def types(self) -> set[str]:
        return {str(event["type"]) for event in self.events}

    def of_type(self, kind: str) -> list[Json]:
        return [event for event in self.events if event["type"] == kind]
