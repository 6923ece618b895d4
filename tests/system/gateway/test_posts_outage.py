"""When the posts service is down, crashes or hangs, the gateway answers 503 or 504 (never 500) and
says truthfully whether anything may have changed, keeps serving what does not need it, and recovers
within about 100 ms of the service serving again.

The crashes are real: the posts service's test-only fault hook (``FLOCK_POSTS_FAULT_AFTER_COMMIT``)
makes it exit right after a change commits, before it answers."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts import devstack
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

    def restart_posts(self, **overrides: str) -> None:
        """Stop the posts service if it runs, and start it again (``overrides`` in its environment)."""
        self.posts.stop()
        self.posts = start_process(service_process({**self.env, **overrides}, "posts"), self.logs)

    def crash_after_committing(self, operation: str) -> None:
        """Run a posts service that exits once it commits ``operation`` (post, comment, like)."""
        self.restart_posts(FLOCK_POSTS_FAULT_AFTER_COMMIT=operation)

    def assert_crashed(self) -> None:
        """The posts service exited as its fault hook makes it, after committing."""
        assert self.posts.child.wait(10) == 1
        assert "fault hook: exiting after committing" in self.posts.log.read_text()


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
                api.post(f"/posts/{post['id']}/comments", json={"text": "lost?"}, headers=member.auth),
                api.put(f"/posts/{post['id']}/like", headers=member.auth),
                api.get(f"/users/{member.username}/posts"),
            ):
                # No connection: the request never reached the service, and the answer says so.
                assert response.status_code == 503, response.text
                assert response.json()["code"] == "unavailable"
                assert "nothing was changed" in response.json()["detail"]
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
        assert (response.json()["comment_count"], response.json()["like_count"]) == (0, 0)
        mine = api.get("/users/me/posts", headers=member.auth).json()["items"]
        assert [p["id"] for p in mine] == [post["id"]]  # the refused writes left nothing behind
        assert httpx.get(f"{own_system.url}/health/ready").json()["checks"]["posts"] == "ok"


def test_a_comment_lost_in_a_crash_is_outcome_unknown_and_its_key_replays_it(own_system: OwnSystem) -> None:
    member = Members(own_system.url).create()
    post = Posts(own_system.url).create(member)
    keyed = {"Idempotency-Key": f"comment-{uuid.uuid4()}", **member.auth}
    own_system.crash_after_committing("comment")
    with api_client(own_system.url) as api:
        lost = api.post(f"/posts/{post['id']}/comments", json={"text": "did it land?"}, headers=keyed)
    own_system.assert_crashed()
    assert lost.status_code == 503, lost.text
    assert lost.json()["code"] == "outcome_unknown"
    assert "may or may not have been made" in lost.json()["detail"]
    assert "nothing was changed" not in lost.json()["detail"]
    assert int(lost.headers["retry-after"]) >= 1
    own_system.restart_posts()
    with api_client(own_system.url) as api:
        again = api.post(f"/posts/{post['id']}/comments", json={"text": "did it land?"}, headers=keyed)
        assert again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true"  # it had landed: the first comment
        listed = api.get(f"/posts/{post['id']}/comments").json()["items"]
        assert [(c["id"], c["text"]) for c in listed] == [(again.json()["id"], "did it land?")]
        assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 1


def test_a_write_without_a_key_lost_in_a_crash_is_not_called_unchanged(own_system: OwnSystem) -> None:
    member = Members(own_system.url).create()
    post = Posts(own_system.url).create(member)
    own_system.crash_after_committing("comment")
    with api_client(own_system.url) as api:
        lost = api.post(f"/posts/{post['id']}/comments", json={"text": "once?"}, headers=member.auth)
    own_system.assert_crashed()
    assert lost.status_code == 503, lost.text
    assert lost.json()["code"] == "outcome_unknown"
    assert "Check before sending it again" in lost.json()["detail"]
    own_system.restart_posts()
    with api_client(own_system.url) as api:
        # It was made: a gateway that said "nothing was changed" would have invited a duplicate.
        listed = api.get(f"/posts/{post['id']}/comments").json()["items"]
        assert [c["text"] for c in listed] == ["once?"]


def test_a_like_lost_in_a_crash_is_outcome_unknown_and_safe_to_repeat(own_system: OwnSystem) -> None:
    author, fan = Members(own_system.url).create(), Members(own_system.url).create()
    post = Posts(own_system.url).create(author)
    own_system.crash_after_committing("like")
    with api_client(own_system.url) as api:
        lost = api.put(f"/posts/{post['id']}/like", headers=fan.auth)
    own_system.assert_crashed()
    assert lost.status_code == 503, lost.text
    assert lost.json()["code"] == "outcome_unknown"
    assert "Sending the same request again is safe" in lost.json()["detail"]
    own_system.restart_posts()
    with api_client(own_system.url) as api:
        again = api.put(f"/posts/{post['id']}/like", headers=fan.auth)
        assert again.status_code == 200, again.text
        assert (again.json()["like_count"], again.json()["liked_by_me"]) == (1, True)


@dataclasses.dataclass(frozen=True)
class Recovery:
    """One restart of the posts service as the gateway's clients saw it, in seconds after the new
    process reported SERVING: when the last failed answer and the first good one came."""

    last_failure: float
    first_success: float


def restart_and_poll(system: OwnSystem, post_id: str, down_for: float = 0.3) -> Recovery:
    """Kill the posts service, start it again ``down_for`` seconds later, read a post every 10 ms (each
    read once the last is answered) from then on, and time the answers against the moment the new
    process serves."""
    system.posts.child.kill()
    system.posts.child.wait()
    time.sleep(down_for)
    process = system.posts.process
    child = devstack.spawn(process, system.logs / "posts.log")
    system.posts = RunningProcess(process, child, system.logs / "posts.log")
    serving: list[float] = []

    def probe() -> None:  # with a fresh connection each time: no backoff of its own
        while not devstack.is_ready(process.ready_url):
            time.sleep(0.002)
        serving.append(time.monotonic())

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    answers: list[tuple[float, int]] = []
    with api_client(system.url) as api:
        while not (serving and answers and answers[-1][1] == 200):
            status = api.get(f"/posts/{post_id}").status_code
            answers.append((time.monotonic(), status))
            assert answers[-1][0] - answers[0][0] < 30, "the gateway did not recover"
            time.sleep(0.01)
    prober.join()
    ready = serving[0]
    failures = [at - ready for at, status in answers if status != 200]
    return Recovery(max([0.0, *failures]), min(at for at, status in answers if status == 200) - ready)


def test_the_gateway_serves_within_about_100_ms_of_a_restarted_posts_serving(own_system: OwnSystem) -> None:
    member = Members(own_system.url).create()
    post = Posts(own_system.url).create(member)
    recoveries = [restart_and_poll(own_system, post["id"]) for _ in range(3)]
    print(
        "after SERVING: last failure, first success (ms):",
        [(round(r.last_failure * 1000), round(r.first_success * 1000)) for r in recoveries],
    )
    # The channel reconnects every 100 ms (±20 %); a loaded machine gets some slack.
    assert max(r.first_success for r in recoveries) < 0.25, recoveries
    assert max(r.last_failure for r in recoveries) < 0.25, recoveries


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
        # It never got a connection up, so the request never went out.
        assert "nothing was changed" in response.json()["detail"]
        assert response.elapsed.total_seconds() < 5
