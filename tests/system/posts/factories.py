"""Test data for the posts service, made through its gRPC API: callers (and whom they follow), posts,
comments, likes, feeds and searches."""

from __future__ import annotations

import contextlib
import itertools
import random
import string
import uuid
from collections.abc import Callable, Iterable, Iterator

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.conftest import sql

FIELD = "flock-field"
REASON = "flock-reason"
# What a moderator or an admin gives when removing someone else's post or comment.
REMOVAL_REASON = "breaks the community rules"
ANONYMOUS = pb.Caller()
_serial = itertools.count(1)


def caller(role: pb.Role.ValueType = pb.ROLE_USER, *, following: Iterable[pb.Caller] = ()) -> pb.Caller:
    """A new user nobody has seen before (the posts service knows users only by id), who follows
    ``following``."""
    return pb.Caller(user_id=str(uuid.uuid4()), role=role, following=[user.user_id for user in following])


def follower(*authors: pb.Caller) -> pb.Caller:
    """A new user who follows ``authors``."""
    return caller(following=authors)


def without_following(user: pb.Caller) -> pb.Caller:
    """The same user, following nobody (as after unfollowing everyone)."""
    return pb.Caller(user_id=user.user_id, role=user.role)


def moderator() -> pb.Caller:
    return caller(pb.ROLE_MODERATOR)


def admin() -> pb.Caller:
    return caller(pb.ROLE_ADMIN)


def text(prefix: str = "post") -> str:
    return f"{prefix} number {next(_serial)}"


def word() -> str:
    """A made-up word of letters that no other test uses: searches for it find only this test's posts."""
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=12))  # noqa: S311 - not a secret


def fails(call: Callable[[], object], code: grpc.StatusCode, field: str = "") -> grpc.RpcError:
    """Run ``call``, which must fail with ``code`` (and, if given, name ``field`` in flock-field)."""
    with pytest.raises(grpc.RpcError) as raised:
        call()
    error = raised.value
    assert error.code() == code, f"{error.code()}: {error.details()}"
    if field:
        # Text metadata arrives as str, whatever the stubs say.
        named = [str(item.value) for item in error.trailing_metadata() or () if item.key == FIELD]
        assert named == [field], error.trailing_metadata()
        assert error.details(), "a human message comes with the field"
    return error


@contextlib.contextmanager
def outbox_refused(db_url: str, actor_id: str) -> Iterator[None]:
    """While the block runs, the database refuses every event of ``actor_id`` (a trigger raises after
    its outbox row is written), so that a change writing one rolls back whole."""
    sql(
        db_url,
        f"""
        CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.payload->>'actor_id' = '{uuid.UUID(actor_id)}' THEN
                RAISE EXCEPTION 'outbox refused for the test';
            END IF;
            RETURN NEW;
        END $$
        """,
    )
    sql(
        db_url,
        "CREATE TRIGGER refuse_doomed AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_doomed()",
    )
    try:
        yield
    finally:
        sql(db_url, "DROP TRIGGER refuse_doomed ON outbox")
        sql(db_url, "DROP FUNCTION refuse_doomed()")


class PostsApi:
    """The posts service in a few words per call, for arranging tests; each call waits at most 10 s."""

    TIMEOUT = 10.0

    def __init__(self, stub: posts_pb2_grpc.PostsServiceStub) -> None:
        self.stub = stub

    def post(
        self,
        author: pb.Caller | None = None,
        *,
        body: str | None = None,
        visibility: pb.Visibility.ValueType = pb.VISIBILITY_PUBLIC,
    ) -> pb.Post:
        request = pb.CreatePostRequest(caller=author or caller(), text=body or text(), visibility=visibility)
        return self.stub.CreatePost(request, timeout=self.TIMEOUT).post

    def private_post(self, author: pb.Caller | None = None) -> pb.Post:
        return self.post(author, visibility=pb.VISIBILITY_PRIVATE)

    def followers_post(self, author: pb.Caller | None = None, *, body: str | None = None) -> pb.Post:
        return self.post(author, body=body, visibility=pb.VISIBILITY_FOLLOWERS)

    def get(self, reader: pb.Caller, post: pb.Post) -> pb.Post:
        return self.stub.GetPost(pb.GetPostRequest(caller=reader, post_id=post.id), timeout=self.TIMEOUT).post

    def comment(
        self, author: pb.Caller, post: pb.Post, *, reply_to: pb.Comment | None = None, body: str = ""
    ) -> pb.Comment:
        request = pb.AddCommentRequest(
            caller=author,
            post_id=post.id,
            parent_id=reply_to.id if reply_to else "",
            text=body or text("comment"),
        )
        return self.stub.AddComment(request, timeout=self.TIMEOUT).comment

    def comments(
        self, reader: pb.Caller, post: pb.Post, parent: pb.Comment | None = None, page_size: int = 100
    ) -> list[pb.Comment]:
        request = pb.ListCommentsRequest(
            caller=reader, post_id=post.id, parent_id=parent.id if parent else "", page_size=page_size
        )
        return list(self.stub.ListComments(request, timeout=self.TIMEOUT).comments)

    def like(self, liker: pb.Caller, post: pb.Post) -> pb.Post:
        return self.stub.LikePost(
            pb.LikePostRequest(caller=liker, post_id=post.id), timeout=self.TIMEOUT
        ).post

    def unlike(self, liker: pb.Caller, post: pb.Post) -> pb.Post:
        request = pb.UnlikePostRequest(caller=liker, post_id=post.id)
        return self.stub.UnlikePost(request, timeout=self.TIMEOUT).post

    def delete(self, deleter: pb.Caller, post: pb.Post, *, reason: str = "") -> None:
        """Delete ``post``; a moderator removing someone else's gives ``reason`` (see
        :data:`REMOVAL_REASON`)."""
        request = pb.DeletePostRequest(caller=deleter, post_id=post.id, reason=reason)
        self.stub.DeletePost(request, timeout=self.TIMEOUT)

    def author_of(self, post: pb.Post) -> pb.Caller:
        return pb.Caller(user_id=post.author_id, role=pb.ROLE_USER)

    def feed_page(self, reader: pb.Caller, *, page_size: int = 100, token: str = "") -> pb.ListFeedResponse:
        request = pb.ListFeedRequest(caller=reader, page_size=page_size, page_token=token)
        return self.stub.ListFeed(request, timeout=self.TIMEOUT)

    def feed(self, reader: pb.Caller) -> list[str]:
        """The ids of the reader's feed, its first 100 at most."""
        return [post.id for post in self.feed_page(reader).posts]

    def search_page(
        self, reader: pb.Caller, query: str, *, page_size: int = 100, token: str = ""
    ) -> pb.SearchPostsResponse:
        request = pb.SearchPostsRequest(caller=reader, query=query, page_size=page_size, page_token=token)
        return self.stub.SearchPosts(request, timeout=self.TIMEOUT)

    def search(self, reader: pb.Caller, query: str) -> list[str]:
        """The ids of the first 100 search results, in order."""
        return [post.id for post in self.search_page(reader, query).posts]
