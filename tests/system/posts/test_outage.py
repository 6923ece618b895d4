"""When PostgreSQL goes away the service answers UNAVAILABLE (which callers may retry), and recovers
once it is back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc

# One PostgreSQL server per outage test module; it belongs in tests/conftest.py once both use it.
from tests.conftest import OwnPostgres, start_process
from tests.system.posts.conftest import posts_environment, posts_process
from tests.system.posts.factories import PostsApi, caller, fails


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OwnPostgres, PostsApi]]:
    postgres = OwnPostgres()
    env = posts_environment(postgres)
    running = start_process(posts_process(env), tmp_path_factory.mktemp("outage"))
    with grpc.insecure_channel(f"127.0.0.1:{env['FLOCK_POSTS_PORT']}") as channel:
        yield postgres, PostsApi(posts_pb2_grpc.PostsServiceStub(channel))
    running.stop()
    postgres.stop()
    shutil.rmtree(postgres.data_dir, ignore_errors=True)


def test_a_database_outage_is_unavailable_and_the_service_recovers(
    outage: tuple[OwnPostgres, PostsApi],
) -> None:
    postgres, api = outage
    author = caller()
    post = api.post(author)
    postgres.stop()
    try:
        fails(lambda: api.get(author, post), grpc.StatusCode.UNAVAILABLE)
        fails(lambda: api.like(author, post), grpc.StatusCode.UNAVAILABLE)
        fails(lambda: api.post(author), grpc.StatusCode.UNAVAILABLE)
        request = pb.ListPostsRequest(caller=author, author_id=author.user_id)
        fails(lambda: api.stub.ListPosts(request, timeout=5), grpc.StatusCode.UNAVAILABLE)
    finally:
        postgres.start()
    assert api.like(author, post).like_count == 1
