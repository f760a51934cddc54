"""LocalServer: what every fake platform server shares — serve `app()` on 127.0.0.1, port 0."""

from types import TracebackType
from typing import Self

from aiohttp import web
from aiohttp.test_utils import TestServer


class LocalServer:
    """Start with `await fake.start()` (returns the root URL) or `async with fake:`."""

    _server: TestServer | None = None

    def app(self) -> web.Application:
        raise NotImplementedError

    @property
    def root_url(self) -> str:
        """The URL the code under test is configured with."""
        raise NotImplementedError

    def url(self, path: str) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return str(self._server.make_url(path))

    async def start(self) -> str:
        self._server = TestServer(self.app(), host="127.0.0.1")
        await self._server.start_server()
        return self.root_url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
