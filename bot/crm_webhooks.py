"""The CRM webhook poster: handoff.crm.WebhookPoster over the app's aiohttp session."""

from collections.abc import Mapping
from typing import Final

import aiohttp

from dialogs import DeliveryError

CHANNEL: Final = "webhook"
# The receiver answers these when it may take the same body later; anything else 4xx is a
# refusal that repeating will not change.
RETRYABLE: Final = frozenset({408, 409, 425, 429})


class HttpPoster:
    """POSTs CRM events; a 2xx is delivered, anything else a DeliveryError."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            async with self._session.post(url, data=body, headers=dict(headers)) as response:
                if 200 <= response.status < 300:
                    return
                retry_after = response.headers.get("Retry-After")
                wait = float(retry_after) if retry_after and retry_after.isdigit() else None
                permanent = 400 <= response.status < 500 and response.status not in RETRYABLE
                raise DeliveryError(
                    CHANNEL,
                    f"{url} answered {response.status}",
                    retry_after=wait,
                    permanent=permanent,
                    code=str(response.status),
                )
        except (aiohttp.ClientError, TimeoutError) as e:
            raise DeliveryError(CHANNEL, f"{url}: {e!r}") from e
