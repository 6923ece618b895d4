"""CreatePost with an idempotency key: a repeat within 24 hours returns the first post, never a
second one, even when the repeats race each other."""

from __future__ import annotations

import uuid

import grpc

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.conftest import sql
from tests.system.posts.factories import PostsApi, caller, fails, text


def create(
    stub: posts_pb2_grpc.PostsServiceStub,
    author: pb.Caller,
    key: str,
    body: str,
    visibility: pb.Visibility.ValueType = pb.VISIBILITY_UNSPECIFIED,
) -> pb.CreatePostResponse:
    request = pb.CreatePostRequest(caller=author, text=body, visibility=visibility, idempotency_key=key)
    return stub.CreatePost(request, timeout=10)


def posts_by(db_url: str, author: pb.Caller) -> list[str]:
    rows = sql(db_url, "SELECT id FROM posts WHERE author_id = $1 ORDER BY id", uuid.UUID(author.user_id))
    return [str(row["id"]) for row in rows]


def test_a_repeated_request_returns_the_first_post(
    stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author, body = caller(), text()
    first = create(stub, author, "key-1", body)
    again = create(
        stub, author, "key-1", f"  {body} ", pb.VISIBILITY_PUBLIC
    )  # the same post, spelled otherwise
    assert (first.replayed, again.replayed) == (False, True)
    assert again.post == first.post
    assert posts_by(db_url, author) == [first.post.id]


def test_concurrent_identical_requests_create_one_post(
    stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author, body = caller(), text()
    request = pb.CreatePostRequest(caller=author, text=body, idempotency_key="double-click")
    calls = [stub.CreatePost.future(request, timeout=30) for _ in range(20)]
    replies = [call.result() for call in calls]
    assert len({reply.post.id for reply in replies}) == 1
    assert sorted(reply.replayed for reply in replies) == [False] + [True] * 19
    assert posts_by(db_url, author) == [replies[0].post.id]


def test_a_replay_shows_the_post_as_it_is_now(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub) -> None:
    author, body = caller(), text()
    first = create(stub, author, "k", body).post
    api.like(caller(), first)
    assert create(stub, author, "k", body).post.like_count == 1


def test_the_same_key_with_a_different_post_is_refused(
    stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author, body = caller(), text()
    create(stub, author, "k", body)
    fails(
        lambda: create(stub, author, "k", "something else"), grpc.StatusCode.ALREADY_EXISTS, "idempotency_key"
    )
    fails(
        lambda: create(stub, author, "k", body, pb.VISIBILITY_PRIVATE),
        grpc.StatusCode.ALREADY_EXISTS,
        "idempotency_key",
    )
    assert len(posts_by(db_url, author)) == 1


def test_keys_belong_to_their_author(stub: posts_pb2_grpc.PostsServiceStub) -> None:
    body = text()
    mine, yours = create(stub, caller(), "shared", body), create(stub, caller(), "shared", body)
    assert not mine.replayed
    assert not yours.replayed
    assert mine.post.id != yours.post.id


def test_without_a_key_every_request_creates_a_post(
    stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author, body = caller(), text()
    create(stub, author, "", body)
    create(stub, author, "", body)
    assert len(posts_by(db_url, author)) == 2


def test_a_key_older_than_24_hours_is_forgotten(stub: posts_pb2_grpc.PostsServiceStub, db_url: str) -> None:
    author, body = caller(), text()
    first = create(stub, author, "daily", body)
    sql(
        db_url,
        "UPDATE idempotency_keys SET created_at = created_at - interval '24 hours' WHERE author_id = $1",
        uuid.UUID(author.user_id),
    )
    later = create(stub, author, "daily", "a new day, a new post")
    assert not later.replayed
    assert later.post.id != first.post.id
    assert create(stub, author, "daily", "a new day, a new post").post.id == later.post.id


def test_a_key_just_under_24_hours_old_still_replays(
    stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author, body = caller(), text()
    first = create(stub, author, "daily", body)
    sql(
        db_url,
        "UPDATE idempotency_keys SET created_at = created_at - interval '23 hours 59 minutes'"
        " WHERE author_id = $1",
        uuid.UUID(author.user_id),
    )
    again = create(stub, author, "daily", body)
    assert (again.replayed, again.post.id) == (True, first.post.id)


def test_replaying_a_deleted_post_is_not_found(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub) -> None:
    author, body = caller(), text()
    first = create(stub, author, "gone", body).post
    api.delete(author, first)
    fails(lambda: create(stub, author, "gone", body), grpc.StatusCode.NOT_FOUND)


def test_a_key_may_be_200_characters(stub: posts_pb2_grpc.PostsServiceStub) -> None:
    author, body, key = caller(), text(), "é" * 200
    assert create(stub, author, key, body).post.id == create(stub, author, key, body).post.id
