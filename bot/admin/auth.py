"""Admin authentication: password login, the signed session cookie and CSRF tokens.

The session cookie carries its own id and expiry under an HMAC, and the CSRF token is an HMAC
of the session id: a forged or expired cookie is refused without a database read. A cookie
that verifies must also name a session that is stored and not logged out
(storage.admin_sessions), so a logout holds across restarts and workers. The HMAC key is
derived from the admin password with scrypt: changing the password logs everybody out, and a
stolen cookie cannot be brute-forced offline for the password at any useful speed. Failed
logins are slowed down by bot.admin.throttle.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import SecretStr

logger = logging.getLogger(__name__)

SESSION_COOKIE: Final = "qualibot_admin"
LOGIN_COOKIE: Final = "qualibot_admin_login"
COOKIE_PATH: Final = "/admin"
SESSION_TTL: Final = timedelta(hours=12)
LOGIN_FORM_TTL: Final = timedelta(hours=1)
_KDF_SALT: Final = b"qualibot admin session key v1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


@dataclass(frozen=True, slots=True)
class AdminSession:
    """A logged-in admin: the session id, when it ends, and its CSRF token."""

    id: str
    expires_at: datetime
    csrf_token: str


class AdminAuth:
    """Checks the password, issues and verifies session cookies."""

    def __init__(self, password: SecretStr, *, clock: Callable[[], datetime]) -> None:
        secret = password.get_secret_value()
        # Compare digests, not the strings: compare_digest on equal-length inputs does not
        # leak the password's length through timing.
        self._password_digest = _digest(secret)
        self._key = hashlib.scrypt(
            secret.encode(), salt=_KDF_SALT, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32
        )
        self._clock = clock

    def _sign(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest())

    def check_password(self, attempt: str) -> bool:
        """Whether `attempt` is the admin password (constant time)."""
        return hmac.compare_digest(_digest(attempt), self._password_digest)

    # sessions

    def new_session(self) -> tuple[AdminSession, str]:
        """A fresh session and the cookie value that carries it."""
        session_id = secrets.token_urlsafe(18)
        expires_at = self._clock() + SESSION_TTL
        payload = f"{session_id}.{int(expires_at.timestamp())}"
        return self._session(session_id, expires_at), f"{payload}.{self._sign('session', payload)}"

    def _session(self, session_id: str, expires_at: datetime) -> AdminSession:
        return AdminSession(session_id, expires_at, self._sign("csrf", session_id))

    def session_of(self, cookie: str | None) -> AdminSession | None:
        """The session a cookie value proves, or None if missing, forged or expired (whether it
        was logged out is for storage.admin_sessions to say)."""
        if not cookie:
            return None
        payload, _, signature = cookie.rpartition(".")
        session_id, _, expiry = payload.partition(".")
        if not (session_id and expiry.isdigit()):
            return None
        if not hmac.compare_digest(signature.encode(), self._sign("session", payload).encode()):
            return None
        expires_at = datetime.fromtimestamp(int(expiry), UTC)
        if expires_at <= self._clock():
            return None
        return self._session(session_id, expires_at)

    @staticmethod
    def csrf_ok(session: AdminSession, submitted: object) -> bool:
        """Whether a form carried this session's CSRF token (constant time)."""
        return isinstance(submitted, str) and hmac.compare_digest(
            submitted.encode(), session.csrf_token.encode()
        )

    # the login form: double-submit token, since there is no session yet

    @staticmethod
    def new_login_nonce() -> str:
        return secrets.token_urlsafe(18)

    def login_token(self, nonce: str) -> str:
        """The hidden field that must come back with the login cookie's nonce."""
        return self._sign("login", nonce)

    def login_form_ok(self, nonce: str | None, submitted: object) -> bool:
        if not nonce or not isinstance(submitted, str):
            return False
        return hmac.compare_digest(submitted.encode(), self.login_token(nonce).encode())
