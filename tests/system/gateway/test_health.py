"""Liveness says the process runs; readiness, that it can serve: its database and the posts service
answer (the stats service only degrades it)."""

from __future__ import annotations

import httpx


def test_liveness_and_readiness(gateway_url: str) -> None:
    assert httpx.get(f"{gateway_url}/health/live").json() == {"status": "ok", "checks": {}}
    ready = httpx.get(f"{gateway_url}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "posts": "ok", "stats": "ok"}}
