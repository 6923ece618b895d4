"""Per-client-address rate limits, counted in PostgreSQL so that every gateway instance shares them.

A route opts in with ``opt={"rate_limit": "<scope>"}``; routes in one scope share a budget. Fixed
windows: a hit is one upsert on ``(scope, address, window)``. The client address is the one the ASGI
server resolved, which honours ``X-Forwarded-For`` only from trusted proxies
(``FLOCK_GATEWAY_FORWARDED_ALLOW_IPS``), so a client cannot reset its own counter with a header.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import msgspec
from litestar import Request
from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.table import Table

from gateway.errors import RATE_LIMITED, Problem
from gateway.settings import RateLimit

OPT_KEY = "rate_limit"


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
        """RateLimit headers (IETF draft, as GitHub and others send them) and Retry-After."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
            "Retry-After": str(self.reset_after),
        }


_UPSERT = """
INSERT INTO rate_limit_buckets (bucket, hits, expires_at)
VALUES ({}, 1, to_timestamp({}))
ON CONFLICT (bucket) DO UPDATE SET hits = rate_limit_buckets.hits + 1
RETURNING hits
"""
_CLEANUP_EVERY_SECONDS = 60.0


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address, as the ASGI server resolved it (trusted proxies' X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """Counts hits per ``(scope, client address)`` in fixed windows of ``limit.period_seconds``."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._next_cleanup = 0.0

    async def hit(self, scope: str, client: str) -> Decision:
        """Count one request from ``client`` and say whether it may proceed."""
        now = time.time()
        period = self.limit.period_seconds
        window_end = (int(now // period) + 1) * period
        rows = await RateLimitBucket.raw(_UPSERT, f"{scope}:{client}:{window_end}", window_end)
        hits = int(rows[0]["hits"])
        if now >= self._next_cleanup:
            # Expired windows are dead weight; one instance sweeping a minute late is harmless.
            self._next_cleanup = now + _CLEANUP_EVERY_SECONDS
            await RateLimitBucket.delete().where(
                RateLimitBucket.expires_at < datetime.datetime.now(tz=datetime.UTC)
            )
        return Decision(
            allowed=hits <= self.limit.requests,
            limit=self.limit.requests,
            remaining=max(0, self.limit.requests - hits),
            reset_after=max(1, int(window_end - now + 0.999)),
        )

    async def before_request(self, request: Request[Any, Any, Any]) -> None:
        """App-wide hook: limits the routes that opted in, and passes the others untouched."""
        scope = request.route_handler.opt.get(OPT_KEY)
        if not scope:
            return
        decision = await self.hit(scope, client_address(request))
        if not decision.allowed:
            raise Problem(
                RATE_LIMITED,
                f"Too many attempts from your address; retry in {decision.reset_after} s.",
                headers=decision.headers(),
            )
