"""The posts service and account statuses (``AccountStatusChanged`` on flock.events.accounts, published
here as the gateway's relay publishes them): a hidden account's posts, comments and likes leave every
read path but its own and staff's, and come back when it is active again; the newest version wins
whatever the order of arrival; a suspension ends by itself; a deleted account's content goes, with its
events and the counts it was part of, and nothing new of it is taken.

The consumer applies events a moment after they are published: assertions wait for what they read
(``eventually``).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

import grpc
import pytest

from idl.flock.events.v1 import events
from idl.flock.posts.v1 import posts_pb2 as pb
from tests.conftest import sql
from tests.system.posts.factories import (
    ANONYMOUS,
    PostsApi,
    caller,
    fails,
    follower,
    moderator,
    outbox_refused,
    word,
)
from tests.system.stats.factories import Account, eventually, publish, publish_raw, utc_now

STAFF = (pb.ROLE_MODERATOR, pb.ROLE_ADMIN)


class Member:
    """An account the posts service knows by id, and its status events (see ``Account``)."""

    def __init__(self) -> None:
        self.caller = caller()
        self.account = Account(uuid.UUID(self.caller.user_id))


def wall(api: PostsApi, reader: pb.Caller, author: pb.Caller) -> list[str]:
    request = pb.ListPostsRequest(caller=reader, author_id=author.user_id, page_size=100)
    return [post.id for post in api.stub.ListPosts(request, timeout=api.TIMEOUT).posts]


def liked(api: PostsApi, reader: pb.Caller, liker: pb.Caller) -> list[str]:
    request = pb.ListLikedPostsRequest(caller=reader, user_id=liker.user_id, page_size=100)
    return [post.id for post in api.stub.ListLikedPosts(request, timeout=api.TIMEOUT).posts]


def found(call: Callable[[], object]) -> bool:
    """Whether a lookup answers (False: NOT_FOUND)."""
    try:
        call()
    except grpc.RpcError as error:
        code = error.code()
    else:
        return True
    assert code == grpc.StatusCode.NOT_FOUND, code
    return False


class Scene:
    """An author with a post (public, with a marker word) and a comment on someone else's post, and a
    liker who liked the post: each read path that could show the author's content, as one reader
    sees it (the feed as the reader following the author)."""

    def __init__(self, api: PostsApi) -> None:
        self.api = api
        self.author = Member()
        self.word = word()
        self.post = api.post(self.author.caller, body=f"about {self.word}")
        self.other_post = api.post()
        self.comment = api.comment(self.author.caller, self.other_post)
        self.follower = follower(self.author.caller)
        self.liker = caller()
        api.like(self.liker, self.post)

    def seen_by(self, reader: pb.Caller) -> dict[str, bool]:
        api, post = self.api, self.post
        return {
            "GetPost": found(lambda: api.get(reader, post)),
            "GetPosts": bool(
                api.stub.GetPosts(pb.GetPostsRequest(caller=reader, post_ids=[post.id]), timeout=5).posts
            ),
            "ListPosts": post.id in wall(api, reader, self.author.caller),
            "ListFeed": post.id in api.feed(self._following(reader)),
            "SearchPosts": post.id in api.search(reader, self.word),
            # One's own likes (staff: anyone's).
            "ListLikedPosts": post.id
            in liked(api, reader if reader.role in STAFF else self.liker, self.liker),
            "ListComments": self.comment.id in [c.id for c in api.comments(reader, self.other_post)],
            "GetComment": found(
                lambda: api.stub.GetComment(
                    pb.GetCommentRequest(caller=reader, comment_id=self.comment.id), timeout=5
                )
            ),
        }

    def _following(self, reader: pb.Caller) -> pb.Caller:
        """The reader as a follower of the author (the feed needs someone signed in)."""
        if not reader.user_id:
            return self.follower
        return pb.Caller(user_id=reader.user_id, role=reader.role, following=[self.author.caller.user_id])

    def all(self, seen: bool) -> dict[str, bool]:
        return dict.fromkeys(self.seen_by(ANONYMOUS), seen)

    def by_member(self) -> dict[str, bool]:
        """As a member sees it (the feed always as the follower)."""
        return self.seen_by(caller())


@pytest.fixture
def scene(api: PostsApi) -> Scene:
    return Scene(api)


def test_a_suspended_account_is_hidden_from_every_read_path_and_back_when_active(
    api: PostsApi, broker: str, scene: Scene
) -> None:
    assert scene.by_member() == scene.all(True)
    publish(broker, [scene.author.account.suspended()])
    eventually(scene.by_member, scene.all(False))
    assert scene.seen_by(ANONYMOUS) == scene.all(False)
    # Staff read everything; the author their own (but for the liker's list of likes, which is the
    # liker's to read).
    assert scene.seen_by(moderator()) == scene.all(True)
    assert scene.seen_by(scene.author.caller) == {**scene.all(True), "ListLikedPosts": False}

    publish(broker, [scene.author.account.active()])
    eventually(scene.by_member, scene.all(True))
    # Nothing was lost meanwhile: the counts are the same.
    assert api.get(caller(), scene.post).like_count == 1
    assert api.get(caller(), scene.other_post).comment_count == 1


def test_the_newest_version_wins_whatever_the_order_and_copies(
    api: PostsApi, broker: str, db_url: str
) -> None:
    member = Member()
    post = api.post(member.caller)
    account = member.account
    suspended, active = account.suspended(version=5), account.active(version=6)
    # The newer first, then the older, then both again: the newer stays.
    publish(broker, [active, suspended, active, suspended])
    eventually(lambda: _state(db_url, member), ("active", 6))
    assert found(lambda: api.get(caller(), post))
    # An older one alone, later, changes nothing either.
    publish(broker, [account.changed("disabled", True, version=4)])
    marker = Member()  # a later event on another account: read once it has been applied
    publish(broker, [marker.account.suspended()])
    eventually(lambda: _state(db_url, marker), ("suspended", 1))
    assert _state(db_url, member) == ("active", 6)


def _state(db_url: str, member: Member) -> tuple[str, int]:
    """The account's status and version as the service has them (("", 0): none yet)."""
    rows = sql(db_url, "SELECT status, version FROM account_states WHERE account_id = $1", member.account.id)
    return (rows[0]["status"], rows[0]["version"]) if rows else ("", 0)


def test_a_suspension_ends_by_itself(api: PostsApi, broker: str) -> None:
    member = Member()
    post = api.post(member.caller)
    until = utc_now() + datetime.timedelta(seconds=3)
    publish(broker, [member.account.suspended(until=until)])
    eventually(lambda: found(lambda: api.get(caller(), post)), False)
    # No further event: the clock ends it.
    eventually(lambda: found(lambda: api.get(caller(), post)), True, timeout=10)
    assert utc_now() >= until


def test_a_deleted_account_loses_its_content_and_the_counts_follow(
    api: PostsApi, broker: str, db_url: str
) -> None:
    gone, other = Member(), caller()
    own = api.post(gone.caller)
    others = api.post(other)
    api.comment(other, own)  # goes with the post
    thread = api.comment(gone.caller, others)
    reply_by_other = api.comment(other, others, reply_to=thread)  # goes with the thread
    kept = api.comment(other, others)
    reply_by_gone = api.comment(gone.caller, others, reply_to=kept)
    api.like(gone.caller, others)
    api.like(other, own)
    assert api.get(other, others).comment_count == 4
    assert api.get(other, others).like_count == 1

    publish(broker, [gone.account.deleted()])
    eventually(lambda: _state(db_url, gone), ("deleted", 1))
    eventually(
        lambda: sql(db_url, "SELECT hidden FROM account_states WHERE account_id = $1", gone.account.id),
        [{"hidden": False}],
    )
    # Nothing of it is left, to staff either, and what it was part of is counted again.
    assert not found(lambda: api.get(moderator(), own))
    after = api.get(other, others)
    assert (after.comment_count, after.like_count) == (1, 0)
    assert [c.id for c in api.comments(moderator(), others)] == [kept.id]
    assert api.comments(moderator(), others, parent=kept) == []
    assert not sql(db_url, "SELECT 1 FROM likes WHERE user_id = $1", gone.account.id)

    written = {
        (row["event_type"], row["key"])
        for row in sql(
            db_url, "SELECT event_type, key FROM outbox WHERE payload->>'actor_id' = $1", str(gone.account.id)
        )
    }
    assert ("post_deleted", own.id) in written
    assert ("post_unliked", others.id) in written
    assert {("comment_deleted", others.id)} <= written
    deleted_comments = sql(
        db_url,
        "SELECT payload->>'comment_id' AS id FROM outbox WHERE event_type = 'comment_deleted' AND key = $1",
        others.id,
    )
    assert {thread.id, reply_by_other.id, reply_by_gone.id} <= {row["id"] for row in deleted_comments}

    # A write already on its way is refused: nothing new of a deleted account.
    fails(lambda: api.post(gone.caller), grpc.StatusCode.PERMISSION_DENIED)
    fails(lambda: api.comment(gone.caller, others), grpc.StatusCode.PERMISSION_DENIED)
    fails(lambda: api.like(gone.caller, others), grpc.StatusCode.PERMISSION_DENIED)


def test_a_purge_that_fails_is_tried_again(api: PostsApi, broker: str, db_url: str) -> None:
    gone = Member()
    post = api.post(gone.caller)
    # The database refuses the purge's events (and so the purge) until the block ends.
    with outbox_refused(db_url, gone.caller.user_id):
        publish(broker, [gone.account.deleted()])
        eventually(lambda: _state(db_url, gone), ("deleted", 1))
        # Applied, hidden, but not purged: the post is still there for staff.
        assert found(lambda: api.get(moderator(), post))
        assert not found(lambda: api.get(caller(), post))
    eventually(lambda: found(lambda: api.get(moderator(), post)), False, timeout=30)


def test_events_that_are_no_account_events_are_skipped(api: PostsApi, broker: str, db_url: str) -> None:
    member = Member()
    publish_raw(broker, events.ACCOUNTS_TOPIC, member.account.id, b"{not json")
    publish(broker, [member.account.suspended()])
    eventually(lambda: _state(db_url, member), ("suspended", 1))
