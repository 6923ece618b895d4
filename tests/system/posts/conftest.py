"""The posts service for the whole session: a real process on a fresh database, started the way the
local runner starts it, and a gRPC channel to it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2_grpc
from scripts import devstack
from tests.conftest import Databases, RunningProcess, service_process, system_environment
from tests.system.posts.factories import PostsApi


def posts_environment(postgres: Databases, **overrides: str) -> dict[str, str]:
    """What ``just up`` gives the posts service, on a fresh database and a free port."""
    return system_environment(postgres, **overrides)


def posts_process(env: dict[str, str]) -> devstack.Process:
    """The runner's own definition of the posts process."""
    return service_process(env, "posts")


@dataclasses.dataclass(frozen=True)
class PostsServer:
    running: RunningProcess

    @property
    def address(self) -> str:
        return f"{self.running.env['FLOCK_POSTS_HOST']}:{self.running.env['FLOCK_POSTS_PORT']}"

    @property
    def db_url(self) -> str:
        return self.running.env["FLOCK_POSTS_DB_URL"]


@pytest.fixture(scope="session")
def posts_server(posts_service: RunningProcess) -> PostsServer:
    """The session's posts service (the one the gateway calls too)."""
    return PostsServer(posts_service)


@pytest.fixture(scope="session")
def channel(posts_server: PostsServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(posts_server.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> posts_pb2_grpc.PostsServiceStub:
    return posts_pb2_grpc.PostsServiceStub(channel)


@pytest.fixture(scope="session")
def db_url(posts_server: PostsServer) -> str:
    """The service's database, for white-box checks with ``tests.conftest.sql``."""
    return posts_server.db_url


@pytest.fixture(scope="session")
def api(stub: posts_pb2_grpc.PostsServiceStub) -> PostsApi:
    return PostsApi(stub)
