"""A second gateway instance on the same database: instances share nothing but PostgreSQL.

It runs with other argon2 costs (so logging in through it rehashes passwords) and trusts no proxy
(so X-Forwarded-For cannot buy a client a fresh rate-limit budget).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningProcess, free_port, gateway_process, sql, start_process
from tests.factories import Members, api_client


@pytest.fixture(scope="module")
def second_gateway(gateway: RunningProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        **gateway.env,
        "FLOCK_GATEWAY_PORT": str(free_port()),
        "FLOCK_ARGON2_TIME_COST": "2",
        "FLOCK_ARGON2_MEMORY_COST": "2048",
        "FLOCK_GATEWAY_FORWARDED_ALLOW_IPS": "",
    }
    running = start_process(gateway_process(env), tmp_path_factory.mktemp("second"))
    yield f"http://127.0.0.1:{env['FLOCK_GATEWAY_PORT']}"
    running.stop()


def password_hash(gateway: RunningProcess, username: str) -> str:
    rows = sql(
        gateway.env["FLOCK_GATEWAY_DB_URL"], "SELECT password_hash FROM users WHERE username = $1", username
    )
    return str(rows[0]["password_hash"])


def test_tokens_from_one_instance_work_on_the_other(members: Members, second_gateway: str) -> None:
    member = members.create()
    with api_client(second_gateway) as other:
        assert other.get("/users/me", headers=member.auth).json()["id"] == member.id
        refreshed = other.post("/auth/refresh", json={"refresh_token": member.refresh_token})
        assert refreshed.status_code == 200


def test_login_rehashes_a_password_made_with_old_costs(
    members: Members, gateway: RunningProcess, second_gateway: str
) -> None:
    member = members.create()
    assert "m=1024,t=1,p=1" in password_hash(gateway, member.username)
    with api_client(second_gateway) as other:
        login = other.post("/auth/login", json={"username": member.username, "password": member.password})
        assert login.status_code == 200
    rehashed = password_hash(gateway, member.username)
    assert "m=2048,t=2,p=1" in rehashed
    assert rehashed.startswith("$argon2id$")
    # The new hash still verifies the same password, on either instance.
    with api_client(second_gateway) as other:
        assert other.post(
            "/auth/login", json={"username": member.username, "password": member.password}
        ).is_success


def test_an_untrusted_forwarded_header_does_not_reset_the_rate_limit(second_gateway: str) -> None:
    statuses = []
    for attempt in range(12):
        with httpx.Client(
            base_url=f"{second_gateway}/api/v1", headers={"X-Forwarded-For": f"2001:db8::{attempt}"}
        ) as c:
            statuses.append(
                c.post("/auth/login", json={"username": "nobody", "password": "guess guess"}).status_code
            )
    assert 429 in statuses
