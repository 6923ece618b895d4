"""GetPostStats: exact all-time counts, whatever the broker delivers twice or cannot decode."""

from __future__ import annotations

import uuid

from idl.flock.events.v1 import events
from tests.system.stats.factories import Post, StatsApi, eventually, publish, publish_raw


def a_busy_post() -> tuple[Post, list[events.Event]]:
    """A post liked, unliked, liked again, commented, replied to, a comment deleted, read by signed-in
    and anonymous readers (some more than once): 2 likes, 6 views by 4 viewers, 2 comments."""
    post, ada, bob, cy = Post(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    thread = post.commented(bob)
    happened: list[events.Event] = [
        post.created(),
        post.liked(ada),
        post.liked(bob),
        post.unliked(ada),
        post.liked(ada),  # again: counts again
        post.liked(cy),
        post.unliked(cy),
        thread,
        post.commented(ada, reply_to=thread.comment_id),
        post.commented(cy),
        post.comment_deleted(thread),
        post.viewed(str(ada), reader=ada),
        post.viewed(str(ada), reader=ada),
        post.viewed(str(bob), reader=bob),
        post.viewed("anon-3f9a"),
        post.viewed("anon-3f9a"),
        post.viewed("anon-77c1"),
    ]
    return post, happened


def test_counts_are_exact_for_a_mix_of_events(api: StatsApi, bootstrap: str) -> None:
    post, happened = a_busy_post()
    publish(bootstrap, happened)
    eventually(lambda: api.counts(post), (2, 6, 4, 2))


def test_events_delivered_twice_count_once(api: StatsApi, bootstrap: str) -> None:
    post, happened = a_busy_post()
    publish(bootstrap, happened)
    publish(bootstrap, happened)  # every event again, as a retrying publisher would
    eventually(lambda: api.counts(post), (2, 6, 4, 2))
    publish(bootstrap, happened[::-1])  # and the whole batch once more, in another order
    late = post.viewed("late-reader")
    publish(bootstrap, [late, late])
    eventually(lambda: api.counts(post), (2, 7, 5, 2))


def test_a_message_that_is_not_an_event_is_skipped_and_later_ones_count(
    api: StatsApi, bootstrap: str
) -> None:
    post, fan = Post(), uuid.uuid4()
    publish(bootstrap, [post.created(), post.liked(fan)])
    eventually(lambda: api.counts(post), (1, 0, 0, 0))
    # Same key, so same partition: what follows must not wait behind what cannot be decoded.
    publish_raw(bootstrap, events.POSTS_TOPIC, post.id, b"{not json")
    publish_raw(bootstrap, events.POSTS_TOPIC, post.id, b'{"type": "post_liked", "event_id": "nope"}')
    publish_raw(bootstrap, events.VIEWS_TOPIC, post.id, b'{"type": "post_exploded"}')
    publish(bootstrap, [post.viewed("after-the-junk"), post.commented(fan)])
    eventually(lambda: api.counts(post), (1, 1, 1, 1))


def test_stats_come_in_the_order_asked_with_zeros_for_posts_without_events(
    api: StatsApi, bootstrap: str
) -> None:
    liked, viewed, unknown = Post(), Post(), uuid.uuid4()
    publish(bootstrap, [liked.liked(uuid.uuid4()), viewed.viewed("v")])
    eventually(lambda: api.counts(viewed), (0, 1, 1, 0))
    eventually(lambda: api.counts(liked), (1, 0, 0, 0))
    found = api.stats(viewed, unknown, liked, viewed)
    assert [stats.post_id for stats in found] == [str(viewed.id), str(unknown), str(liked.id), str(viewed.id)]
    assert [(s.likes, s.views, s.unique_viewers, s.comments) for s in found] == [
        (0, 1, 1, 0),
        (0, 0, 0, 0),
        (1, 0, 0, 0),
        (0, 1, 1, 0),
    ]
    assert api.stats() == []
