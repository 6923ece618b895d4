"""The process: its commands, bad configuration, ClickHouse out of reach. (That setup can run again on
data it made is shown by tests/stats/test_crash.py, which restarts the service as the runner does.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from scripts import devstack
from tests.conftest import free_port
from tests.system.posts.factories import fails


def stats_command(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("FLOCK_")}
    return subprocess.run(
        [sys.executable, "-m", "stats", *args],
        env={**clean, **env},
        cwd=devstack.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("command", [[], ["run"], ["serve"], ["consume"], ["setup"]])
def test_a_missing_setting_stops_the_process_with_exit_78_naming_it(command: list[str]) -> None:
    result = stats_command(*command, env={"FLOCK_KAFKA_BOOTSTRAP": "127.0.0.1:9"})
    assert result.returncode == 78, result.stderr
    assert "FLOCK_STATS_CLICKHOUSE_URL" in result.stderr


def test_an_unknown_command_prints_the_usage() -> None:
    result = stats_command("dance", env={})
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "usage: python -m stats [run|serve|consume|setup]",
    )


def _health(channel: grpc.Channel) -> int | None:
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.RpcError:
        return None
    return int(reply.status)


def test_without_clickhouse_the_api_answers_unavailable_and_health_not_serving(broker: str) -> None:
    port = free_port()
    nowhere = f"http://default:@127.0.0.1:{free_port()}/flock"
    env = {**os.environ, "FLOCK_KAFKA_BOOTSTRAP": broker, "FLOCK_STATS_CLICKHOUSE_URL": nowhere}
    env.update(FLOCK_STATS_PORT=str(port), FLOCK_LOG_LEVEL="error")
    child = subprocess.Popen(
        [sys.executable, "-m", "stats", "serve"], env=env, cwd=devstack.ROOT, stderr=subprocess.DEVNULL
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            deadline = time.monotonic() + 20
            while (status := _health(channel)) is None:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.05)
            assert status == health_pb2.HealthCheckResponse.NOT_SERVING
            stub = stats_pb2_grpc.StatsServiceStub(channel)
            stats = pb.GetPostStatsRequest(post_ids=[str(uuid.uuid4())])
            fails(lambda: stub.GetPostStats(stats, timeout=5), grpc.StatusCode.UNAVAILABLE)
            top = pb.TopPostsRequest(metric=pb.METRIC_LIKES, period=pb.PERIOD_ALL, limit=5)
            fails(lambda: stub.TopPosts(top, timeout=5), grpc.StatusCode.UNAVAILABLE)
            # What needs no database is still answered.
            bad = pb.TopPostsRequest(metric=pb.METRIC_LIKES, period=pb.PERIOD_ALL, limit=0)
            fails(lambda: stub.TopPosts(bad, timeout=5), grpc.StatusCode.INVALID_ARGUMENT, "limit")
        child.send_signal(signal.SIGTERM)
        assert child.wait(15) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
