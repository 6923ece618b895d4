"""The posts service and blocks and mutes (``RelationshipChanged`` on flock.events.relationships,
published here as the gateway's relay publishes them): a block, either way, hides each account's posts
and comments from the other on every read path and refuses likes, comments and replies across it
(not found), while a like may still be taken back; a mute hides the muted account from the muter's
feed, comment lists and search only, one way, and a timed one ends by itself; the newest version of a
pair wins whatever the order of arrival; staff's look-ups by id and walls ignore blocks, their
listings do not.

The consumer applies events a moment after they are published: assertions wait for what they read
(``eventually``).
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import itertools
import uuid
from collections.abc import Iterable

import grpc
import pytest
from aiokafka import AIOKafkaProducer

from idl.flock.events.v1 import events
from idl.flock.posts.v1 import posts_pb2 as pb
from tests.conftest import sql
from tests.system.posts.factories import ANONYMOUS, REASON, PostsApi, caller, fails, moderator, word
from tests.system.posts.test_hidden_accounts import found, liked, wall
from tests.system.stats.factories import eventually, utc_now

NOT_FOUND = grpc.StatusCode.NOT_FOUND
# Versions only grow, as the gateway's do: each test's events are newer than any before them.
_versions = itertools.count(1000)


def relation(
    actor: pb.Caller,
    target: pb.Caller,
    *,
    blocking: bool = False,
    muting: bool = False,
    muted_until: datetime.datetime | None = None,
    version: int | None = None,
) -> events.RelationshipChanged:
    """What ``actor`` now does to ``target`` (nothing, unless told), as the gateway says it."""
    return events.RelationshipChanged(
        event_id=uuid.uuid4(),
        occurred_at=utc_now(),
        actor_id=uuid.UUID(actor.user_id),
        target_id=uuid.UUID(target.user_id),
        version=next(_versions) if version is None else version,
        blocking=blocking,
        muting=muting,
        muted_until=muted_until,
    )


async def _send(bootstrap: str, changes: Iterable[events.RelationshipChanged]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for change in changes:
            key = events.relationship_key(change.actor_id, change.target_id)
            await producer.send_and_wait(events.RELATIONSHIPS_TOPIC, events.encode(change), key=key.encode())
    finally:
        await producer.stop()


def publish(bootstrap: str, *changes: events.RelationshipChanged) -> None:
    """Publish relationship events as the gateway's relay does: keyed by the pair, in order."""
    asyncio.run(_send(bootstrap, changes))


def reason_of(error: grpc.RpcError) -> str:
    [reason] = [str(item.value) for item in error.trailing_metadata() or () if item.key == REASON]
    return reason


def as_follower(reader: pb.Caller, *authors: pb.Caller) -> pb.Caller:
    """``reader`` following ``authors`` (the feed shows only those one follows)."""
    return pb.Caller(user_id=reader.user_id, role=reader.role, following=[a.user_id for a in authors])


class Scene:
    """An author's content on every read path, as one reader (who follows the author) sees it: a public
    post with a marker word, which the reader liked; a comment and a reply on a third party's post; a
    comment of the third party's that the reader may reply to."""

    def __init__(self, api: PostsApi, author: pb.Caller, reader: pb.Caller) -> None:
        self.api, self.author, self.reader = api, author, as_follower(reader, author)
        self.word = word()
        self.post = api.post(author, body=f"about {self.word}")
        third = caller()
        self.other_post = api.post(third)
        self.comment = api.comment(author, self.other_post)
        self.thread = api.comment(third, self.other_post)
        self.reply = api.comment(author, self.other_post, reply_to=self.thread)
        api.like(self.reader, self.post)

    def seen(self, reader: pb.Caller | None = None) -> dict[str, bool]:
        """Where the author's content shows, for the reader (or another caller, following the author
        too), each read path at once."""
        api, post = self.api, self.post
        reader = self.reader if reader is None else as_follower(reader, self.author)
        return {
            "GetPost": found(lambda: api.get(reader, post)),
            "GetPosts": bool(
                api.stub.GetPosts(pb.GetPostsRequest(caller=reader, post_ids=[post.id]), timeout=5).posts
            ),
            "ListPosts": post.id in wall(api, reader, self.author),
            # Their own list of likes: the reader liked the post (another caller did not).
            "ListLikedPosts": post.id in liked(api, reader, reader),
            "ListFeed": post.id in api.feed(reader),
            "SearchPosts": post.id in api.search(reader, self.word),
            "ListComments": self.comment.id in [c.id for c in api.comments(reader, self.other_post)],
            "ListComments replies": self.reply.id
            in [c.id for c in api.comments(reader, self.other_post, parent=self.thread)],
            "GetComment": found(
                lambda: api.stub.GetComment(
                    pb.GetCommentRequest(caller=reader, comment_id=self.comment.id), timeout=5
                )
            ),
        }

    def everywhere(self, shown: bool) -> dict[str, bool]:
        """Every read path ``shown``, or none."""
        return dict.fromkeys(self.seen(), shown)

    def own_content_shown(self) -> bool:
        """Whether the author still sees their own post on their wall, feed and search."""
        author = self.author
        return (
            self.post.id in wall(self.api, author, author)
            and self.post.id in self.api.feed(author)
            and self.post.id in self.api.search(author, self.word)
        )


# What a mute hides, and what staff's own blocks hide from them: the listings.
LISTINGS = {"ListFeed": False, "SearchPosts": False, "ListComments": False, "ListComments replies": False}


@pytest.fixture
def pair(api: PostsApi) -> tuple[Scene, Scene]:
    """Two accounts following one another, each one's content as the other sees it."""
    first, second = caller(), caller()
    return Scene(api, first, second), Scene(api, second, first)


@pytest.mark.parametrize("blocker", ["reader", "author"])
def test_a_block_hides_each_ones_content_from_the_other_on_every_read_path(
    broker: str, pair: tuple[Scene, Scene], blocker: str
) -> None:
    scene, mirror = pair
    assert scene.seen() == scene.everywhere(True)
    actor, target = (scene.reader, scene.author) if blocker == "reader" else (scene.author, scene.reader)
    publish(broker, relation(actor, target, blocking=True))
    eventually(scene.seen, scene.everywhere(False))
    # Both ways: the author does not see the reader's either.
    assert mirror.seen() == mirror.everywhere(False)
    # Anyone else sees both as before, and each still sees their own.
    bystander = caller()
    assert scene.seen(bystander) == {**scene.everywhere(True), "ListLikedPosts": False}
    assert mirror.seen(bystander) == {**mirror.everywhere(True), "ListLikedPosts": False}
    assert scene.own_content_shown()
    assert mirror.own_content_shown()
    assert found(lambda: scene.api.get(ANONYMOUS, scene.post))


@pytest.mark.parametrize("blocker", ["reader", "author"])
def test_no_like_comment_or_reply_across_a_block_but_a_like_may_be_taken_back(
    api: PostsApi, broker: str, pair: tuple[Scene, Scene], blocker: str
) -> None:
    scene, _ = pair
    reader, author = scene.reader, scene.author
    actor, target = (reader, author) if blocker == "reader" else (author, reader)
    publish(broker, relation(actor, target, blocking=True))
    eventually(lambda: found(lambda: api.get(reader, scene.post)), False)

    assert reason_of(fails(lambda: api.like(reader, scene.post), NOT_FOUND)) == "post_not_found"
    assert reason_of(fails(lambda: api.comment(reader, scene.post), NOT_FOUND)) == "post_not_found"
    # A reply to the author's comment, or to a reply in the author's thread, on someone else's post.
    for parent in (scene.comment, scene.reply):
        error = fails(functools.partial(api.comment, reader, scene.other_post, reply_to=parent), NOT_FOUND)
        assert reason_of(error) == "comment_not_found"
    # The same the other way: the author's writes on the reader's content.
    reply_to_reader = api.comment(reader, scene.other_post)
    fails(lambda: api.comment(author, scene.other_post, reply_to=reply_to_reader), NOT_FOUND)
    # The third party's thread is open to both (the reply joins the thread, not the author's reply).
    api.comment(reader, scene.other_post, reply_to=scene.thread)

    # The reader's like of before the block is theirs to take back: it goes, and nothing is shown.
    assert api.get(caller(), scene.post).like_count == 1
    assert not api.unlike(reader, scene.post).id
    assert api.get(caller(), scene.post).like_count == 0
    # Once gone, there is nothing of the post for them to unlike.
    fails(lambda: api.unlike(reader, scene.post), NOT_FOUND)


def test_an_unblock_shows_everything_again(broker: str, pair: tuple[Scene, Scene]) -> None:
    scene, mirror = pair
    publish(broker, relation(scene.reader, scene.author, blocking=True))
    eventually(scene.seen, scene.everywhere(False))
    publish(broker, relation(scene.reader, scene.author))
    eventually(scene.seen, scene.everywhere(True))
    assert mirror.seen() == mirror.everywhere(True)
    scene.api.comment(scene.reader, scene.post)
    scene.api.comment(scene.reader, scene.other_post, reply_to=scene.comment)


def test_a_mute_hides_the_muted_from_the_muters_feed_comments_and_search_only(
    api: PostsApi, broker: str, pair: tuple[Scene, Scene]
) -> None:
    scene, mirror = pair
    publish(broker, relation(scene.reader, scene.author, muting=True))
    eventually(scene.seen, {**scene.everywhere(True), **LISTINGS})
    # One way: the muted still sees the muter's content everywhere.
    assert mirror.seen() == mirror.everywhere(True)
    # A mute refuses nothing.
    api.comment(scene.reader, scene.post)
    api.comment(scene.reader, scene.other_post, reply_to=scene.comment)
    # Unmuted, it is all back.
    publish(broker, relation(scene.reader, scene.author))
    eventually(scene.seen, scene.everywhere(True))


def test_a_timed_mute_ends_by_itself(api: PostsApi, broker: str, pair: tuple[Scene, Scene]) -> None:
    scene, _ = pair
    until = utc_now() + datetime.timedelta(seconds=3)
    publish(broker, relation(scene.reader, scene.author, muting=True, muted_until=until))
    eventually(lambda: scene.post.id in api.feed(scene.reader), False)
    # No further event: the clock ends it.
    eventually(scene.seen, scene.everywhere(True), timeout=10)
    assert utc_now() >= until


def _stored(db_url: str, actor: pb.Caller, target: pb.Caller) -> tuple[int, bool]:
    """The pair's version and block as the service has them ((0, False): none yet)."""
    rows = sql(
        db_url,
        "SELECT version, blocking FROM relations WHERE actor_id = $1 AND target_id = $2",
        uuid.UUID(actor.user_id),
        uuid.UUID(target.user_id),
    )
    return (rows[0]["version"], rows[0]["blocking"]) if rows else (0, False)


def test_the_newest_version_of_a_pair_wins_whatever_the_order_and_copies(
    api: PostsApi, broker: str, db_url: str
) -> None:
    reader, author = caller(), caller()
    post = api.post(author)
    base = next(_versions) + 10
    block = relation(reader, author, blocking=True, version=base + 2)
    unblock = relation(reader, author, version=base + 1)
    # The newer first, then the older, then both again: the block stays.
    publish(broker, block, unblock, block, unblock)
    eventually(lambda: _stored(db_url, reader, author), (base + 2, True))
    assert not found(lambda: api.get(reader, post))
    # An older one alone, later, changes nothing either.
    publish(broker, relation(reader, author, version=base))
    marker = caller()  # a later event on another pair: read once it has been applied
    publish(broker, relation(marker, author, muting=True))
    eventually(lambda: _stored(db_url, marker, author)[0] > 0, True)
    assert _stored(db_url, reader, author) == (base + 2, True)
    assert not found(lambda: api.get(reader, post))
    # A newer one applies.
    publish(broker, relation(reader, author, version=base + 3))
    eventually(lambda: found(lambda: api.get(reader, post)), True)
    assert _stored(db_url, reader, author) == (base + 3, False)


@pytest.mark.parametrize("role", [pb.ROLE_MODERATOR, pb.ROLE_ADMIN])
@pytest.mark.parametrize("blocker", ["staff", "author"])
def test_staff_read_across_a_block_by_id_and_on_walls_but_their_listings_follow_it(
    api: PostsApi, broker: str, role: pb.Role.ValueType, blocker: str
) -> None:
    staff, author = caller(role), caller()
    scene = Scene(api, author, staff)
    actor, target = (staff, author) if blocker == "staff" else (author, staff)
    publish(broker, relation(actor, target, blocking=True))
    eventually(scene.seen, {**scene.everywhere(True), **LISTINGS})
    # The replies to the author's thread are not theirs to list either; a comment by id is.
    author_thread = api.comment(author, scene.other_post)
    fails(lambda: api.comments(scene.reader, scene.other_post, parent=author_thread), NOT_FOUND)
    # A moderator's own mute of the author works as anyone's.
    muted = caller()
    muted_scene = Scene(api, muted, staff)
    publish(broker, relation(staff, muted, muting=True))
    eventually(muted_scene.seen, {**muted_scene.everywhere(True), **LISTINGS})


def test_an_anonymous_caller_and_the_blocked_pair_leave_others_alone(
    api: PostsApi, broker: str, pair: tuple[Scene, Scene]
) -> None:
    scene, _ = pair
    publish(broker, relation(scene.reader, scene.author, blocking=True))
    eventually(lambda: found(lambda: api.get(scene.reader, scene.post)), False)
    assert found(lambda: api.get(ANONYMOUS, scene.post))
    assert scene.post.id in wall(api, ANONYMOUS, scene.author)
    assert scene.post.id in api.search(ANONYMOUS, scene.word)
    assert scene.comment.id in [c.id for c in api.comments(ANONYMOUS, scene.other_post)]
    assert found(lambda: api.get(moderator(), scene.post))
