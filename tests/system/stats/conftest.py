"""The stats service for the whole session (consumer and gRPC API in one process, on the embedded
ClickHouse, as the local runner starts it), the broker it reads, and a gRPC channel to it."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from idl.flock.stats.v1 import stats_pb2_grpc
from tests.conftest import RunningProcess
from tests.system.stats.factories import StatsApi


def address(running: RunningProcess) -> str:
    return f"{running.env['FLOCK_STATS_HOST']}:{running.env['FLOCK_STATS_PORT']}"


@pytest.fixture(scope="session")
def channel(stats_service: RunningProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(address(stats_service)) as channel:
        yield channel


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> stats_pb2_grpc.StatsServiceStub:
    return stats_pb2_grpc.StatsServiceStub(channel)


@pytest.fixture(scope="session")
def api(stub: stats_pb2_grpc.StatsServiceStub) -> StatsApi:
    return StatsApi(stub)


@pytest.fixture(scope="session")
def bootstrap(stats_service: RunningProcess) -> str:
    """The broker the service reads (host:port)."""
    return stats_service.env["FLOCK_KAFKA_BOOTSTRAP"]
