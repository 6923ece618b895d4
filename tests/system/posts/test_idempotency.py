"""CreatePost and AddComment with an idempotency key: a repeat within 24 hours returns the first post
or comment, never a second one, even when the repeats race each other; a key names one request."""

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


def comment(
    stub: posts_pb2_grpc.PostsServiceStub,
    author: pb.Caller,
    post: pb.Post,
    key: str,
    body: str,
    *,
    reply_to: pb.Comment | None = None,
) -> pb.AddCommentResponse:
    request = pb.AddCommentRequest(
        caller=author,
        post_id=post.id,
        parent_id=reply_to.id if reply_to else "",
        text=body,
        idempotency_key=key,
    )
    return stub.AddComment(request, timeout=10)


def comments_on(db_url: str, post: pb.Post) -> list[str]:
    rows = sql(db_url, "SELECT id FROM comments WHERE post_id = $1 ORDER BY id", uuid.UUID(post.id))
    return [str(row["id"]) for row in rows]


def test_a_repeated_comment_returns_the_first_one(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    post, author, body = api.post(), caller(), text("comment")
    first = comment(stub, author, post, "c-1", body)
    again = comment(stub, author, post, "c-1", f" {body}  ")  # the same comment, spelled otherwise
    assert (first.replayed, again.replayed) == (False, True)
    assert again.comment == first.comment
    assert comments_on(db_url, post) == [first.comment.id]
    assert api.get(author, post).comment_count == 1


def test_concurrent_identical_comments_add_one(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    post, author = api.post(), caller()
    request = pb.AddCommentRequest(caller=author, post_id=post.id, text=text("c"), idempotency_key="dbl")
    replies = [call.result() for call in [stub.AddComment.future(request, timeout=30) for _ in range(20)]]
    assert len({reply.comment.id for reply in replies}) == 1
    assert sorted(reply.replayed for reply in replies) == [False] + [True] * 19
    assert comments_on(db_url, post) == [replies[0].comment.id]
    assert api.get(author, post).comment_count == 1


def test_a_replayed_comment_is_shown_as_it_is_now(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post, author, body = api.post(), caller(), text("comment")
    first = comment(stub, author, post, "k", body).comment
    api.comment(caller(), post, reply_to=first)
    assert comment(stub, author, post, "k", body).comment.reply_count == 1


def test_the_same_key_with_another_comment_is_refused(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    post, other, author, body = api.post(), api.post(), caller(), text("comment")
    first = comment(stub, author, post, "k", body).comment
    for again in (
        lambda: comment(stub, author, post, "k", "another text"),
        lambda: comment(stub, author, other, "k", body),  # another post
        lambda: comment(stub, author, post, "k", body, reply_to=first),  # a reply, not a comment
    ):
        fails(again, grpc.StatusCode.ALREADY_EXISTS, "idempotency_key")
    assert comments_on(db_url, post) == [first.id]
    assert comments_on(db_url, other) == []


def test_a_key_names_one_request_whether_a_post_or_a_comment(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author, body = caller(), text()
    create(stub, author, "one", body)
    fails(
        lambda: comment(stub, author, api.post(), "one", body),
        grpc.StatusCode.ALREADY_EXISTS,
        "idempotency_key",
    )
    comment(stub, author, api.post(), "two", body)
    fails(lambda: create(stub, author, "two", body), grpc.StatusCode.ALREADY_EXISTS, "idempotency_key")


def test_replaying_a_deleted_comment_is_not_found(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post, author, body = api.post(), caller(), text("comment")
    first = comment(stub, author, post, "gone", body).comment
    stub.DeleteComment(
        pb.DeleteCommentRequest(caller=author, post_id=post.id, comment_id=first.id), timeout=10
    )
    fails(lambda: comment(stub, author, post, "gone", body), grpc.StatusCode.NOT_FOUND)


def test_a_refused_comment_leaves_its_key_unused(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author, body = caller(), text("comment")
    hidden = api.private_post()
    fails(lambda: comment(stub, author, hidden, "fresh", body), grpc.StatusCode.NOT_FOUND)
    assert not create(stub, author, "fresh", body).replayed
