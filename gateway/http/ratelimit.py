"""Rate limits, counted in PostgreSQL so that every gateway instance shares them.

A route opts in with ``opt={"rate_limit": "<scope>"}``; routes in one scope share a budget per
client address. A route may also name a body field (``opt={"rate_limit_account": "username"}``):
attempts naming one account then share a budget too, from whatever address (log-in guessing spread
over many addresses). Fixed windows: a hit is one upsert on ``(scope, key, window)``. The client
address is the one the ASGI server resolved, which honours ``X-Forwarded-For`` only from trusted
proxies (``FLOCK_GATEWAY_FORWARDED_ALLOW_IPS``, by default 127.0.0.1 only), so a client cannot reset
its own counter with a header.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import msgspec
from litestar import Request
from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.table import Table

from gateway.http.errors import RATE_LIMITED, Problem
from gateway.http.headers import RATE_LIMIT_STATE
from gateway.settings import RateLimit
from servicekit.database import Database

OPT_KEY = "rate_limit"
ACCOUNT_OPT_KEY = "rate_limit_account"
_ACCOUNT_SCOPE = "account"


class RateLimitBucket(Table, tablename="rate_limit_buckets"):
    """Hits from one client address in one window of one scope."""

    bucket = Varchar(length=200, primary_key=True)
    hits = Integer(null=False, default=0)
    expires_at = Timestamptz(null=False, index=True)


class Decision(msgspec.Struct, frozen=True):
    """The outcome of one hit."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        """RateLimit headers (IETF draft, as GitHub and others send them); Retry-After once refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_after)
        return headers


_UPSERT = """
INSERT INTO rate_limit_buckets (bucket, hits, expires_at)
VALUES ($1, 1, to_timestamp($2))
ON CONFLICT (bucket) DO UPDATE SET hits = rate_limit_buckets.hits + 1
RETURNING hits
"""
_CLEANUP = "DELETE FROM rate_limit_buckets WHERE expires_at < now()"
_CLEANUP_EVERY_SECONDS = 60.0


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address, as the ASGI server resolved it (trusted proxies' X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """Counts hits per ``(scope, client address)`` in fixed windows of ``limit.period_seconds``."""

    def __init__(self, database: Database, limit: RateLimit, account_limit: RateLimit | None = None) -> None:
        self._database = database
        self.limit = limit
        self.account_limit = account_limit or limit
        self._next_cleanup = 0.0

    async def hit(self, scope: str, client: str, limit: RateLimit | None = None) -> Decision:
        """Count one request from ``client`` and say whether it may proceed."""
        limit = limit or self.limit
        now = time.time()
        period = limit.period_seconds
        window_end = (int(now // period) + 1) * period
        [row] = await self._database.fetch(_UPSERT, f"{scope}:{client}:{window_end}", float(window_end))
        hits = int(row["hits"])
        if now >= self._next_cleanup:
            # Expired windows are dead weight; one instance sweeping a minute late is harmless.
            self._next_cleanup = now + _CLEANUP_EVERY_SECONDS
            await self._database.execute(_CLEANUP)
        return Decision(
            allowed=hits <= limit.requests,
            limit=limit.requests,
            remaining=max(0, limit.requests - hits),
            reset_after=max(1, int(window_end - now + 0.999)),
        )

    async def before_request(self, request: Request[Any, Any, Any]) -> None:
        """App-wide hook: limits the routes that opted in, and passes the others untouched."""
        scope = request.route_handler.opt.get(OPT_KEY)
        if not scope:
            return
        decision = await self.hit(scope, client_address(request))
        request.scope.setdefault("state", {})[RATE_LIMIT_STATE] = decision.headers()
        if not decision.allowed:
            raise Problem(
                RATE_LIMITED,
                f"Too many attempts from your address; retry in {decision.reset_after} s.",
                headers=decision.headers(),
            )
        field = request.route_handler.opt.get(ACCOUNT_OPT_KEY)
        account = _body_field(await request.body(), field) if field else None
        if account:
            per_account = await self.hit(_ACCOUNT_SCOPE, account, self.account_limit)
            if not per_account.allowed:
                raise Problem(
                    RATE_LIMITED,
                    f"Too many attempts for this account; retry in {per_account.reset_after} s.",
                    headers=per_account.headers(),
                )

    async def login_attempt(self, scope: str, client: str, login: str) -> Decision:
        """One log-in attempt from ``client`` naming ``login``, for a form the app-wide hook cannot
        read (the admin panel's sign-in): the same two budgets as a JSON log-in. The refused decision
        if either is spent, else the address's."""
        by_address = await self.hit(scope, client)
        if not by_address.allowed or not login.strip():
            return by_address
        by_account = await self.hit(_ACCOUNT_SCOPE, account_key(login), self.account_limit)
        return by_address if by_account.allowed else by_account


def account_key(login: str) -> str:
    """A login as the per-account budget counts it: trimmed, lower case, hashed (a key of fixed length
    that any text can have, NUL included)."""
    return hashlib.sha256(login.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _body_field(body: bytes, field: str) -> str | None:
    """The string ``field`` of a JSON object body, normalised as logins are (trimmed, lower case) and
    hashed (a key of fixed length that any text can have, NUL included); None for anything else (the
    handler's validation will say what is wrong)."""
    try:
        value = msgspec.json.decode(body).get(field) if body else None
    except (msgspec.DecodeError, AttributeError):
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    return account_key(value)
