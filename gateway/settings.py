"""The gateway's settings: one object per process, read once from ``FLOCK_*`` environment variables
by :mod:`servicekit.settings`.

Nothing else in the gateway reads ``os.environ``. A missing or malformed setting stops the process with
a message that names the variable.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from servicekit.settings import SHARED_NAMES, Environment, LogLevel, Port, SettingsError

__all__ = [
    "DatabaseSettings",
    "GatewaySettings",
    "RateLimit",
    "SettingsError",
    "env_name",
    "env_names",
    "load_database_settings",
    "load_settings",
    "settings_from_environment",
]

_RATE_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class RateLimit(msgspec.Struct, frozen=True):
    """At most ``requests`` per ``period_seconds`` from one client address."""

    requests: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse ``"10/minute"`` style limits."""
        match = _RATE_LIMIT.match(text)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"expected '<count>/<second|minute|hour|day>', got {text!r}")
        return cls(int(match.group(1)), _PERIOD_SECONDS[match.group(2)])


class DatabaseSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """What the migration tool needs: only the database address."""

    db_url: Annotated[str, msgspec.Meta(min_length=1)]
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10


class GatewaySettings(DatabaseSettings, frozen=True):
    """Everything the gateway process reads from its environment."""

    jwt_secret: Annotated[str, msgspec.Meta(min_length=32)] = ""
    host: str = "127.0.0.1"
    port: Port = 8000
    # Addresses whose X-Forwarded-For header is trusted for the client address (rate limits).
    forwarded_allow_ips: str = "127.0.0.1"
    access_token_ttl: Annotated[int, msgspec.Meta(ge=10)] = 900
    refresh_token_ttl: Annotated[int, msgspec.Meta(ge=60)] = 30 * 86400
    # However often it is refreshed, a session ends this long after its login.
    session_max_age: Annotated[int, msgspec.Meta(ge=60)] = 90 * 86400
    auth_rate_limit: str = "10/minute"
    # Log-in attempts naming one account, from any address: rotating addresses does not help a guesser.
    login_account_rate_limit: str = "20/hour"
    # Origins allowed to call the API from a browser (comma-separated, e.g. https://app.example.org);
    # empty: no CORS headers at all, which is right for an API that no web page calls directly.
    cors_origins: str = ""
    argon2_time_cost: Annotated[int, msgspec.Meta(ge=1)] = 3
    argon2_memory_cost: Annotated[int, msgspec.Meta(ge=8)] = 65536
    argon2_parallelism: Annotated[int, msgspec.Meta(ge=1)] = 4
    log_level: LogLevel = "info"
    # One log line per request: useful when debugging, a measurable cost under load.
    access_log: bool = False
    # The broker views are published to (empty: views are not recorded), and how many views may wait
    # in memory for it while it is unreachable.
    kafka_bootstrap: str = ""
    view_buffer: Annotated[int, msgspec.Meta(ge=100)] = 100_000
    # Where views the broker has not taken are kept when the gateway stops, and published from on the
    # next start (empty: nowhere, they are lost). Instances may share it.
    view_spool_dir: str = ""
    # The outbox relay of account events (gateway/outbox.py): rows per round, and how often it polls
    # when no notification wakes it. It publishes to kafka_bootstrap; empty: the rows wait.
    relay_batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 500
    relay_poll_ms: Annotated[int, msgspec.Meta(ge=10, le=60_000)] = 1000
    # The admin panel's session cookie is sent over HTTPS only (turn off only for plain-HTTP local runs).
    admin_cookie_secure: bool = True
    # How long an admin panel sign-in lasts.
    admin_session_ttl: Annotated[int, msgspec.Meta(ge=60, le=86400)] = 8 * 3600
    # The internal services (gRPC), and how long any call to one may take.
    posts_addr: str = "127.0.0.1:50051"
    stats_addr: str = "127.0.0.1:50052"
    grpc_timeout: Annotated[float, msgspec.Meta(gt=0, le=60)] = 2.0
    # Where links in mails point (the web app members use; verify-email, reset-password and
    # unsubscribe pages): empty, the gateway itself at http://host:port.
    public_base_url: str = ""
    # Posting waits for a verified e-mail address.
    require_verified_email: bool = False
    # How long a verification link and a password-reset link work.
    verify_email_ttl: Annotated[int, msgspec.Meta(ge=60)] = 2 * 86400
    password_reset_ttl: Annotated[int, msgspec.Meta(ge=60)] = 3600
    # Password-reset requests naming one address, from any client (the per-client limit is
    # auth_rate_limit).
    password_reset_rate_limit: str = "3/hour"  # noqa: S105 - a rate, not a password
    # The SMTP server mail is handed to (empty host: mail waits in the outbox), how to secure the
    # connection (none, starttls or tls), the login (empty: none) and the From address.
    smtp_host: str = ""
    smtp_port: Port = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0
    mail_from: str = "Flock <no-reply@flock.invalid>"
    # Notification mails (new posts, digests) per recipient per hour: more wait for the next hour.
    mail_rate_per_hour: Annotated[int, msgspec.Meta(ge=1)] = 20
    # A temporary SMTP failure is retried with backoff for this long, then the mail is failed.
    mail_retry_for: Annotated[int, msgspec.Meta(ge=1)] = 2 * 86400
    # The first retry's delay; each next one waits twice as long, up to an hour.
    mail_retry_first_ms: Annotated[int, msgspec.Meta(ge=10, le=3_600_000)] = 60_000
    # Mails per sender round, and how often the sender polls when no notification wakes it.
    mail_batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100
    mail_poll_ms: Annotated[int, msgspec.Meta(ge=10, le=60_000)] = 1000
    # A daily digest goes out this long after the previous one (or after its first post).
    digest_interval: Annotated[int, msgspec.Meta(ge=1)] = 86400
    # The notifier process (python -m gateway notifier): its health endpoint and consumer group.
    notifier_host: str = "127.0.0.1"
    notifier_port: Port = 8010
    notifier_group: str = "flock-notifier"

    @property
    def rate_limit(self) -> RateLimit:
        return RateLimit.parse(self.auth_rate_limit)

    @property
    def password_reset_limit(self) -> RateLimit:
        return RateLimit.parse(self.password_reset_rate_limit)

    @property
    def base_url(self) -> str:
        """Where links in mails point, without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def login_account_limit(self) -> RateLimit:
        return RateLimit.parse(self.login_account_rate_limit)

    @property
    def cors_allowed_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]


# The environment variable that carries each field is FLOCK_GATEWAY_<FIELD>, except these, which are
# shared names across processes or documented as such.
ENVIRONMENT = Environment(
    "FLOCK_GATEWAY_",
    {
        **SHARED_NAMES,
        "jwt_secret": "FLOCK_JWT_SECRET",
        "access_token_ttl": "FLOCK_ACCESS_TOKEN_TTL",
        "refresh_token_ttl": "FLOCK_REFRESH_TOKEN_TTL",
        "session_max_age": "FLOCK_SESSION_MAX_AGE",
        "auth_rate_limit": "FLOCK_AUTH_RATE_LIMIT",
        "login_account_rate_limit": "FLOCK_LOGIN_ACCOUNT_RATE_LIMIT",
        "argon2_time_cost": "FLOCK_ARGON2_TIME_COST",
        "argon2_memory_cost": "FLOCK_ARGON2_MEMORY_COST",
        "argon2_parallelism": "FLOCK_ARGON2_PARALLELISM",
        "posts_addr": "FLOCK_POSTS_ADDR",
        "public_base_url": "FLOCK_PUBLIC_BASE_URL",
        "require_verified_email": "FLOCK_REQUIRE_VERIFIED_EMAIL",
        "smtp_host": "FLOCK_SMTP_HOST",
        "smtp_port": "FLOCK_SMTP_PORT",
        "smtp_tls": "FLOCK_SMTP_TLS",
        "smtp_user": "FLOCK_SMTP_USER",
        "smtp_password": "FLOCK_SMTP_PASSWORD",
        "smtp_timeout": "FLOCK_SMTP_TIMEOUT",
        "mail_from": "FLOCK_MAIL_FROM",
        "mail_rate_per_hour": "FLOCK_MAIL_RATE_PER_HOUR",
        "mail_retry_for": "FLOCK_MAIL_RETRY_FOR",
        "mail_retry_first_ms": "FLOCK_MAIL_RETRY_FIRST_MS",
        "mail_batch": "FLOCK_MAIL_BATCH",
        "mail_poll_ms": "FLOCK_MAIL_POLL_MS",
        "digest_interval": "FLOCK_DIGEST_INTERVAL",
        "notifier_host": "FLOCK_NOTIFIER_HOST",
        "notifier_port": "FLOCK_NOTIFIER_PORT",
        "notifier_group": "FLOCK_NOTIFIER_GROUP",
        "stats_addr": "FLOCK_STATS_ADDR",
    },
)

env_name = ENVIRONMENT.name


def env_names() -> frozenset[str]:
    """Every environment variable the gateway reads."""
    return ENVIRONMENT.names(GatewaySettings)


def load_database_settings(environ: Mapping[str, str] | None = None) -> DatabaseSettings:
    """Settings for tools that only touch the database (migrations)."""
    return ENVIRONMENT.load(DatabaseSettings, environ)


def load_settings(environ: Mapping[str, str] | None = None) -> GatewaySettings:
    """Read and validate the gateway's settings."""
    settings = ENVIRONMENT.load(GatewaySettings, environ)
    if not settings.jwt_secret:
        raise SettingsError(f"missing required setting {env_name('jwt_secret')} (32+ characters)")
    for field in ("auth_rate_limit", "login_account_rate_limit", "password_reset_rate_limit"):
        try:
            RateLimit.parse(getattr(settings, field))  # validate now, not on the first login
        except ValueError as error:
            raise SettingsError(f"{env_name(field)}: {error}") from None
    return settings


@cache
def settings_from_environment() -> GatewaySettings:
    """The process-wide settings, read once."""
    return load_settings()


def _running_checkout_database(root: Path) -> str | None:
    """The gateway database of a ``just up`` running from the checkout at ``root``, if one is (the
    runner records it in ``.flock/run/system.json``)."""
    try:
        system = json.loads((root / ".flock" / "run" / "system.json").read_text())
        os.kill(int(system["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    url = system.get("gateway_db_url")
    return url if isinstance(url, str) and url else None


def command_line_database_url(environ: Mapping[str, str] | None = None) -> str:
    """The database the server's command-line tools act on: FLOCK_GATEWAY_DB_URL, or else that of a
    ``just up`` running from this checkout."""
    environ = os.environ if environ is None else environ
    url = environ.get(env_name("db_url")) or _running_checkout_database(Path(__file__).resolve().parents[1])
    if not url:
        raise SettingsError(f"set {env_name('db_url')}, or start the system with `just up` in this checkout")
    return url
