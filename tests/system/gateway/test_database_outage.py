"""When PostgreSQL goes away the gateway answers 503 with Retry-After, and recovers when it is back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import OwnPostgres, gateway_process, start_process, system_environment
from tests.factories import Members, api_client


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OwnPostgres, str]]:
    postgres = OwnPostgres()
    env = system_environment(postgres)
    running = start_process(gateway_process(env, alone=True), tmp_path_factory.mktemp("outage"))
    yield postgres, f"http://127.0.0.1:{env['FLOCK_GATEWAY_PORT']}"
    running.stop()
    postgres.stop()
    shutil.rmtree(postgres.data_dir, ignore_errors=True)


def test_a_database_outage_is_503_and_the_gateway_recovers(outage: tuple[OwnPostgres, str]) -> None:
    postgres, url = outage
    member = Members(url).create()
    postgres.stop()
    try:
        with api_client(url) as api:
            for response in (
                api.get("/users/me", headers=member.auth),
                api.post("/auth/login", json={"username": member.username, "password": member.password}),
                api.get(f"/users/{member.username}"),
            ):
                assert response.status_code == 503, response.text
                assert response.json()["code"] == "unavailable"
                assert response.headers["retry-after"] == "5"
            ready = httpx.get(f"{url}/health/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"] != "ok"
            assert httpx.get(f"{url}/health/live").status_code == 200
    finally:
        postgres.start()
    with api_client(url) as api:
        assert api.get("/users/me", headers=member.auth).json()["username"] == member.username
