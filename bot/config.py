"""Settings: QUALIBOT_* environment variables (nested with `__`) and an optional config file."""

from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, StringConstraints, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_ids(value: object) -> object:
    """`123,456` from the environment -> ["123", "456"]."""
    if isinstance(value, str | int):
        return [part.strip() for part in str(value).split(",") if part.strip()]
    return value


class TelegramLimits(BaseModel):
    """Client-side flood limits on sends; the defaults are the Bot API's (about 30 messages a
    second overall, about 1 a second per chat, short bursts allowed). 0 turns a limit off.
    They hold per process: `serve --workers N` gives each worker 1/N of the overall limit."""

    per_second: float = Field(default=30.0, ge=0)
    burst: int = Field(default=30, ge=1)
    per_chat_per_second: float = Field(default=1.0, ge=0)
    chat_burst: int = Field(default=3, ge=1)


class TelegramConfig(BaseModel):
    """The Telegram channel; off unless a token is set."""

    token: SecretStr
    api_url: str = "https://api.telegram.org/bot"
    webhook_secret: SecretStr | None = None
    mode: Literal["webhook", "polling"] = "webhook"
    sdr_chat_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    limits: TelegramLimits = Field(default_factory=TelegramLimits)

    @field_validator("sdr_chat_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_ids(value)


class WhatsAppConfig(BaseModel):
    """The WhatsApp Cloud API channel; off unless configured."""

    graph_url: str = "https://graph.facebook.com/v25.0"  # Graph version the 2026 docs use
    phone_number_id: str
    access_token: SecretStr
    app_secret: SecretStr
    verify_token: SecretStr
    sdr_numbers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sdr_template: str = "qualibot_handoff"
    reengage_template: str = "qualibot_followup"
    template_language: str = "id"
    mark_read: bool = True

    @field_validator("sdr_numbers", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_ids(value)


class WebChatConfig(BaseModel):
    """The web chat page at `/`."""

    # in the header and the <title>, HTML-escaped
    company_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ] = "Chat"


class SlaConfig(BaseModel):
    """QUALIBOT_SLA__*: how long an SDR has to accept, then to write to the prospect."""

    accept_minutes: float = Field(default=5.0, gt=0)  # in the SDR's working hours
    first_contact_hours: float = Field(default=24.0, gt=0)
    # told when a handoff is reassigned or first contact is missed: Telegram chat ids, or
    # whatsapp:<number>
    escalation_chat_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    every_seconds: float = Field(default=5.0, gt=0)  # how often `serve` runs due jobs

    @field_validator("escalation_chat_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_ids(value)


class WebhooksConfig(BaseModel):
    """QUALIBOT_WEBHOOKS__*: CRM event webhooks (one or more URLs, comma-separated)."""

    url: Annotated[list[str], NoDecode] = Field(default_factory=list)
    secret: SecretStr = SecretStr("")

    @field_validator("url", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_ids(value)


class RetentionConfig(BaseModel):
    """QUALIBOT_RETENTION__DAYS: erase the personal data of leads inactive this long."""

    days: int | None = Field(default=None, gt=0)  # None: keep


class Settings(BaseSettings):
    """Everything `qualibot serve` needs; only bot/ reads settings."""

    model_config = SettingsConfigDict(
        env_prefix="QUALIBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    database_url: str = "sqlite+aiosqlite:///qualibot.db"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = Field(default=1, ge=1)  # `serve` processes; more than 1 needs PostgreSQL
    public_url: str = ""  # used in links (transcripts in handoff summaries)
    admin_password: SecretStr | None = None
    # the JSON admin API (/api/admin) wants `Authorization: Bearer <token>`; off without one
    admin_token: SecretStr | None = None
    admin_timezone: str = "Asia/Jakarta"  # times on the admin pages
    # how often a serving process looks for a newly published flow version
    flow_check_seconds: float = Field(default=1.0, gt=0)
    flow: Path | None = None  # a flow file; default: the bundled BANT flow
    max_body_bytes: int = 256 * 1024
    max_text_chars: int = 4000
    telegram: TelegramConfig | None = None
    whatsapp: WhatsAppConfig | None = None
    webchat: WebChatConfig = Field(default_factory=WebChatConfig)
    sla: SlaConfig = Field(default_factory=SlaConfig)
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    # How long a message being sent stays its worker's: after a crash mid-send, any worker
    # sends it again once this has passed. Longer than a send can take (HTTP timeouts: 30 s).
    outbox_lease_seconds: float = Field(default=45.0, gt=0)
    # How long a new handoff waits before an SDR is told. 0: at once (what the prospect says
    # next updates the notice); more batches a burst of late details into the first notice.
    handoff_grace_seconds: float = Field(default=0.0, ge=0)
    # Proxies in front of qualibot whose X-Forwarded-For/-Proto/-Host are believed: IPs or
    # networks ("10.0.0.0/8"), comma-separated, or "*" for any peer. Empty: none.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            if item != "*":
                ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("admin_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from e
        return value

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"
