"""When the posts service is down or hangs, the gateway answers 503 or 504 (never 500), keeps serving
what does not need it, and recovers when the service is back."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    Postgres,
    RunningProcess,
    free_port,
    gateway_process,
    service_process,
    start_process,
    system_environment,
)
from tests.factories import Members, Posts, api_client


@dataclasses.dataclass
class OwnSystem:
    """A posts service and a gateway of this module's own, so stopping them harms no other test."""

    env: dict[str, str]
    logs: Path
    posts: RunningProcess
    gateway: RunningProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['FLOCK_GATEWAY_PORT']}"

    def restart_posts(self) -> None:
        self.posts = start_process(service_process(self.env, "posts"), self.logs)


@pytest.fixture(scope="module")
def own_system(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnSystem]:
    env = system_environment(postgres)
    logs = tmp_path_factory.mktemp("posts-outage")
    system = OwnSystem(
        env,
        logs,
        posts=start_process(service_process(env, "posts"), logs),
        gateway=start_process(service_process(env, "gateway"), logs),
    )
    yield system
    system.gateway.stop()
    system.posts.stop()


def test_stats_down_only_degrades_readiness(own_system: OwnSystem) -> None:
    # This system runs no stats service: statistics answer 503, everything else serves.
    ready = httpx.get(f"{own_system.url}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "posts": "ok", "stats": "unavailable"},
    }


def test_posts_down_is_503_and_the_gateway_recovers(own_system: OwnSystem) -> None:
    member = Members(own_system.url).create()
    post = Posts(own_system.url).create(member, "still here after the outage")
    own_system.posts.stop()
    try:
        with api_client(own_system.url) as api:
            for response in (
                api.get(f"/posts/{post['id']}"),
                api.post("/posts", json={"text": "lost?"}, headers=member.auth),
                api.get(f"/users/{member.username}/posts"),
            ):
                assert response.status_code == 503, response.text
                assert response.json()["code"] == "unavailable"
                assert int(response.headers["retry-after"]) > 0
            assert api.get("/users/me", headers=member.auth).status_code == 200  # accounts need no posts
        ready = httpx.get(f"{own_system.url}/health/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["checks"]["posts"] == "unavailable"
        assert ready.json()["checks"]["database"] == "ok"
    finally:
        own_system.restart_posts()
    with api_client(own_system.url) as api:
        # The gateway reconnects by itself, within its reconnect backoff (at most 2 s).
        deadline = time.monotonic() + 10
        while (response := api.get(f"/posts/{post['id']}")).status_code == 503:
            assert time.monotonic() < deadline, "the gateway did not reconnect to the posts service"
            time.sleep(0.2)
        assert response.json()["text"] == "still here after the outage"
        mine = api.get("/users/me/posts", headers=member.auth).json()["items"]
        assert [p["id"] for p in mine] == [post["id"]]  # the refused write left nothing behind
        assert httpx.get(f"{own_system.url}/health/ready").json()["checks"]["posts"] == "ok"


def swallow(listener: socket.socket, accepted: list[socket.socket]) -> None:
    """Accept connections and never answer: a peer that hangs."""
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        accepted.append(connection)


@pytest.fixture(scope="module")
def hanging_posts(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway whose posts address accepts connections and never answers."""
    accepted: list[socket.socket] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        threading.Thread(target=swallow, args=(listener, accepted), daemon=True).start()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        env = system_environment(
            postgres,
            FLOCK_POSTS_ADDR=address,
            FLOCK_GATEWAY_GRPC_TIMEOUT="0.5",
            FLOCK_GATEWAY_PORT=str(free_port()),
        )
        gateway = start_process(gateway_process(env, alone=True), tmp_path_factory.mktemp("hanging"))
        yield f"http://127.0.0.1:{env['FLOCK_GATEWAY_PORT']}"
        gateway.stop()
    for connection in accepted:
        connection.close()


def test_a_hanging_service_is_504_within_the_deadline(hanging_posts: str) -> None:
    member = Members(hanging_posts).create()
    with api_client(hanging_posts) as api:
        response = api.post("/posts", json={"text": "into the void"}, headers=member.auth)
        assert response.status_code == 504, response.text
        assert response.json()["code"] == "timeout"
        assert response.elapsed.total_seconds() < 5
