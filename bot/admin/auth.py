"""Admin authentication: password login, the signed session cookie, CSRF tokens, throttling.

Stateless by design: the session cookie carries its own id and expiry under an HMAC, and the
CSRF token is an HMAC of the session id, so N worker processes behind one URL accept each
other's sessions without shared storage. The HMAC key is derived from the admin password with
scrypt: changing the password logs everybody out, and a stolen cookie cannot be brute-forced
offline for the password at any useful speed.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from collections import deque
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
MAX_FAILURES: Final = 5  # failed logins per IP within FAILURE_WINDOW before answering 429
FAILURE_WINDOW: Final = timedelta(minutes=1)
_MAX_TRACKED_IPS: Final = 10_000  # bounds the throttle's memory under a spray of addresses
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
    """Checks the password, issues and verifies session cookies, throttles failed logins."""

    def __init__(self, password: SecretStr, *, clock: Callable[[], datetime]) -> None:
        secret = password.get_secret_value()
        # Compare digests, not the strings: compare_digest on equal-length inputs does not
        # leak the password's length through timing.
        self._password_digest = _digest(secret)
        self._key = hashlib.scrypt(
            secret.encode(), salt=_KDF_SALT, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32
        )
        self._clock = clock
        self._failures: dict[str, deque[datetime]] = {}
        # Logout in this process takes effect at once; other workers honour it at expiry.
        self._revoked: dict[str, datetime] = {}

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
        """The session a cookie value proves, or None if missing, forged, expired or revoked."""
        if not cookie:
            return None
        payload, _, signature = cookie.rpartition(".")
        session_id, _, expiry = payload.partition(".")
        if not (session_id and expiry.isdigit()):
            return None
        if not hmac.compare_digest(signature.encode(), self._sign("session", payload).encode()):
            return None
        expires_at = datetime.fromtimestamp(int(expiry), UTC)
        if expires_at <= self._clock() or session_id in self._revoked:
            return None
        return self._session(session_id, expires_at)

    def revoke(self, session: AdminSession) -> None:
        """Log a session out (the cookie is also deleted from the browser)."""
        now = self._clock()
        self._revoked = {sid: end for sid, end in self._revoked.items() if end > now}
        self._revoked[session.id] = session.expires_at

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

    # throttling

    def retry_after(self, ip: str) -> timedelta | None:
        """How long `ip` must wait before trying again, or None if it may try now."""
        now = self._clock()
        attempts = self._failures.get(ip)
        if attempts is None:
            return None
        while attempts and attempts[0] <= now - FAILURE_WINDOW:
            attempts.popleft()
        if not attempts:
            del self._failures[ip]
            return None
        if len(attempts) < MAX_FAILURES:
            return None
        return attempts[0] + FAILURE_WINDOW - now

    def record_failure(self, ip: str) -> None:
        attempts = self._failures.setdefault(ip, deque(maxlen=MAX_FAILURES))
        attempts.append(self._clock())
        if len(self._failures) > _MAX_TRACKED_IPS:
            del self._failures[next(iter(self._failures))]  # the longest-tracked address

    def clear_failures(self, ip: str) -> None:
        self._failures.pop(ip, None)
