"""The outbox: each change writes exactly its events, in the change's own transaction; what changes
nothing, fails or rolls back writes none."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import grpc
import pytest

from idl.flock.events.v1 import events
from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.conftest import sql
from tests.system.posts.factories import REMOVAL_REASON, PostsApi, caller, fails, moderator, outbox_refused


def outbox(db_url: str, post: pb.Post) -> list[events.Event]:
    """The post's events, in the order they were written; checks the columns beside the payload."""
    rows = sql(db_url, "SELECT * FROM outbox WHERE key = $1 ORDER BY id", post.id)
    decoded = [events.decode(row["payload"]) for row in rows]
    for row, event in zip(rows, decoded, strict=True):
        assert row["topic"] == events.POSTS_TOPIC == "flock.events.posts"
        assert row["event_type"] == events.event_type(event)
        assert (row["event_id"], row["occurred_at"]) == (event.event_id, event.occurred_at)
        # The relay (tests/posts/test_relay.py) may have published it already.
        assert row["published_at"] is None or row["published_at"] >= row["occurred_at"]
        assert event.event_id.version == 7
        assert event.occurred_at.tzinfo is not None
        assert abs(event.occurred_at - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    return decoded


def summary(written: list[events.Event]) -> list[tuple[str, str]]:
    return [(events.event_type(event), str(event.actor_id)) for event in written]


def test_each_change_writes_exactly_its_events(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author, fan, mod = caller(), caller(), moderator()
    post = api.post(author)
    stub.UpdatePost(pb.UpdatePostRequest(caller=author, post_id=post.id, text="edited"), timeout=5)
    api.like(fan, post)
    api.like(fan, post)  # changes nothing
    api.unlike(fan, post)
    api.unlike(fan, post)  # changes nothing
    thread = api.comment(fan, post)
    reply = api.comment(author, post, reply_to=thread)
    removal = pb.DeleteCommentRequest(
        caller=mod, post_id=post.id, comment_id=thread.id, reason=REMOVAL_REASON
    )
    stub.DeleteComment(removal, timeout=5)
    api.delete(mod, post, reason=REMOVAL_REASON)

    written = outbox(db_url, post)
    assert summary(written) == [
        ("post_created", author.user_id),
        ("post_updated", author.user_id),
        ("post_liked", fan.user_id),
        ("post_unliked", fan.user_id),
        ("comment_added", fan.user_id),
        ("comment_added", author.user_id),
        ("comment_deleted", mod.user_id),
        ("comment_deleted", mod.user_id),  # the reply went with its thread
        ("post_deleted", mod.user_id),
    ]
    assert all(isinstance(event, events.PostEventBase) for event in written)
    assert {
        (str(event.post_id), str(event.post_author_id))
        for event in written
        if isinstance(event, events.PostEventBase)
    } == {(post.id, author.user_id)}
    assert len({event.event_id for event in written}) == len(written)
    added, replied, deleted, deleted_reply = written[4], written[5], written[6], written[7]
    assert isinstance(added, events.CommentAdded)
    assert isinstance(replied, events.CommentAdded)
    assert (str(added.comment_id), added.parent_id) == (thread.id, None)
    assert (str(replied.comment_id), str(replied.parent_id)) == (reply.id, thread.id)
    assert isinstance(deleted, events.CommentDeleted)
    assert isinstance(deleted_reply, events.CommentDeleted)
    assert [str(deleted.comment_id), str(deleted_reply.comment_id)] == [thread.id, reply.id]


def test_requests_that_change_nothing_or_fail_write_no_events(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    author = caller()
    post = api.post(author)
    body = pb.CreatePostRequest(caller=author, text="once", idempotency_key="k")
    replayed = stub.CreatePost(body, timeout=5).post
    stub.CreatePost(body, timeout=5)  # a replay
    stub.UpdatePost(pb.UpdatePostRequest(caller=author, post_id=post.id, text=post.text), timeout=5)
    api.unlike(caller(), post)  # never liked
    fails(lambda: api.delete(caller(), post), grpc.StatusCode.PERMISSION_DENIED)
    fails(
        lambda: stub.UpdatePost(pb.UpdatePostRequest(caller=caller(), post_id=post.id, text="x"), timeout=5),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    fails(
        lambda: api.comment(caller(), post, reply_to=pb.Comment(id=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
    )
    assert summary(outbox(db_url, post)) == [("post_created", author.user_id)]
    assert summary(outbox(db_url, replayed)) == [("post_created", author.user_id)]


@pytest.fixture
def failing_outbox(db_url: str) -> Iterator[pb.Caller]:
    """A caller whose events the database refuses, so that their changes must roll back whole."""
    doomed = caller()
    with outbox_refused(db_url, doomed.user_id):
        yield doomed


def test_a_change_whose_event_cannot_be_written_does_not_happen(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str, failing_outbox: pb.Caller
) -> None:
    post = api.post()
    fails(lambda: api.like(failing_outbox, post), grpc.StatusCode.INTERNAL)
    fails(lambda: api.comment(failing_outbox, post), grpc.StatusCode.INTERNAL)
    fails(lambda: api.post(failing_outbox), grpc.StatusCode.INTERNAL)

    post_id = uuid.UUID(post.id)
    assert sql(db_url, "SELECT count(*) AS n FROM likes WHERE post_id = $1", post_id) == [{"n": 0}]
    assert sql(db_url, "SELECT count(*) AS n FROM comments WHERE post_id = $1", post_id) == [{"n": 0}]
    author_id = uuid.UUID(failing_outbox.user_id)
    assert sql(db_url, "SELECT count(*) AS n FROM posts WHERE author_id = $1", author_id) == [{"n": 0}]
    counts = api.get(caller(), post)
    assert (counts.like_count, counts.comment_count) == (0, 0)
    assert len(outbox(db_url, post)) == 1  # its creation only
