"""The process: health, deadlines, graceful shutdown, and how it refuses bad configuration."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from scripts import devstack
from tests.conftest import RunningProcess, free_port, sql, start_process
from tests.system.posts.conftest import PostsServer, posts_process
from tests.system.posts.factories import ANONYMOUS, PostsApi, caller, fails


@contextmanager
def post_locked(db_url: str, post: pb.Post) -> Iterator[None]:
    """Hold the post's row lock from another connection, so that any change to it waits."""
    locked, release = threading.Event(), threading.Event()

    async def hold() -> None:
        connection = await asyncpg.connect(db_url)
        try:
            async with connection.transaction():
                await connection.execute("SELECT 1 FROM posts WHERE id = $1 FOR UPDATE", uuid.UUID(post.id))
                locked.set()
                await asyncio.to_thread(release.wait)
        finally:
            await connection.close()

    holder = threading.Thread(target=asyncio.run, args=(hold(),))
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def waiting_for_locks(db_url: str) -> int:
    """How many statements on the posts database wait for a lock right now."""
    rows = sql(
        db_url,
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    return int(rows[0]["n"])


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def like_rows(db_url: str, post: pb.Post) -> int:
    return int(sql(db_url, "SELECT count(*) AS n FROM likes WHERE post_id = $1", uuid.UUID(post.id))[0]["n"])


@pytest.mark.parametrize("service", ["", "flock.posts.v1.PostsService"])
def test_health_reports_serving(channel: grpc.Channel, service: str) -> None:
    reply = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=5
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_call_whose_deadline_passes_fails_and_the_server_carries_on(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post = api.post()
    for _ in range(20):
        request = pb.GetPostRequest(caller=ANONYMOUS, post_id=post.id)
        fails(functools.partial(stub.GetPost, request, timeout=0.0001), grpc.StatusCode.DEADLINE_EXCEEDED)
    assert api.get(ANONYMOUS, post).id == post.id


def test_the_server_abandons_work_when_the_deadline_passes(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    post, fan = api.post(), caller()
    with post_locked(db_url, post):
        started = time.monotonic()
        fails(
            lambda: api.stub.LikePost(pb.LikePostRequest(caller=fan, post_id=post.id), timeout=0.5),
            grpc.StatusCode.DEADLINE_EXCEEDED,
        )
        assert time.monotonic() - started < 2
        # The server cancelled its statement rather than waiting on for the lock...
        eventually(lambda: waiting_for_locks(db_url) == 0, timeout=3)
    # ...so nothing lands once the lock is released.
    time.sleep(0.2)
    assert like_rows(db_url, post) == 0
    assert api.get(fan, post).like_count == 0
    assert api.like(fan, post).like_count == 1  # and its connections are fine


@pytest.fixture
def second_server(posts_server: PostsServer, tmp_path: Path) -> Iterator[Callable[..., RunningProcess]]:
    """Start another posts process on the session's database (its own port); stopped afterwards."""
    started: list[RunningProcess] = []

    def start(**env: str) -> RunningProcess:
        process = posts_process({**posts_server.running.env, "FLOCK_POSTS_PORT": str(free_port()), **env})
        started.append(start_process(process, tmp_path))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def _stub(channel: grpc.Channel) -> posts_pb2_grpc.PostsServiceStub:
    return posts_pb2_grpc.PostsServiceStub(channel)


def _channel(running: RunningProcess) -> grpc.Channel:
    return grpc.insecure_channel(running.process.ready_url.removeprefix("grpc://"))


def _refused(channel: grpc.Channel) -> bool:
    """Whether the server behind ``channel`` no longer takes calls."""
    try:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.RpcError as error:
        return bool(error.code() == grpc.StatusCode.UNAVAILABLE)
    return False


def test_sigterm_lets_the_call_in_flight_finish_and_refuses_new_ones(
    api: PostsApi, db_url: str, second_server: Callable[..., RunningProcess]
) -> None:
    server = second_server(FLOCK_POSTS_GRACE_SECONDS="10")
    post, fan = api.post(), caller()
    with _channel(server) as channel:
        with post_locked(db_url, post):
            like = pb.LikePostRequest(caller=fan, post_id=post.id)
            in_flight = _stub(channel).LikePost.future(like, timeout=20)
            eventually(lambda: waiting_for_locks(db_url) == 1)
            server.child.send_signal(signal.SIGTERM)
            eventually(lambda: _refused(channel))
            request = pb.GetPostRequest(post_id=post.id)
            fails(lambda: _stub(channel).GetPost(request, timeout=2), grpc.StatusCode.UNAVAILABLE)
            assert not in_flight.done()
            assert server.child.poll() is None
        assert in_flight.result(timeout=10).post.like_count == 1
    assert server.child.wait(timeout=10) == 0
    assert like_rows(db_url, post) == 1


def test_calls_still_running_when_the_grace_period_ends_are_cancelled(
    api: PostsApi, db_url: str, second_server: Callable[..., RunningProcess]
) -> None:
    server = second_server(FLOCK_POSTS_GRACE_SECONDS="0.5")
    post, fan = api.post(), caller()
    with _channel(server) as channel, post_locked(db_url, post):
        stuck = _stub(channel).LikePost.future(pb.LikePostRequest(caller=fan, post_id=post.id), timeout=20)
        eventually(lambda: waiting_for_locks(db_url) == 1)
        server.child.send_signal(signal.SIGTERM)
        assert server.child.wait(timeout=5) == 0  # while the lock is still held: it gave up on the call
        with pytest.raises(grpc.RpcError):
            stuck.result(timeout=5)
    time.sleep(0.2)
    assert like_rows(db_url, post) == 0


def test_a_missing_setting_stops_the_process_with_exit_78_naming_it() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOCK_")}
    for command in ([], ["migrate"]):
        result = subprocess.run(
            [sys.executable, "-m", "posts", *command],
            env=env,
            cwd=devstack.ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 78, result.stderr
        assert "FLOCK_POSTS_DB_URL" in result.stderr


def test_an_unknown_command_prints_the_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "posts", "dance"],
        cwd=devstack.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr.strip()) == (2, "usage: python -m posts [serve|migrate]")
