"""Account statuses (``AccountStatusChanged`` on flock.events.accounts): the rankings leave out the
authors hidden now, and bring them back, counts unchanged, once they are not; the newest version of
each account wins, whatever order or how many times its changes arrive.

Each test's authors have more likes today than any other test's, and each assertion looks at them
only, in TopPosts and TopAuthors by likes over a day (the counter windows) and all time (the totals).
A ranking is shared for up to FLOCK_STATS_RANKING_TTL_MS (0.5 s), so a change shows within that after
the consumer has it: assertions wait for it.
"""

from __future__ import annotations

import datetime
import functools
import uuid

from idl.flock.events.v1 import events
from idl.flock.stats.v1 import stats_pb2 as pb
from tests.system.stats.factories import Account, Post, StatsApi, eventually, publish, utc_now

LIKES = 150
# A post's likes in TopPosts and its author's in TopAuthors, over a day and all time; None: not ranked.
Ranked = tuple[int | None, int | None, int | None, int | None]
SHOWN: Ranked = (LIKES, LIKES, LIKES, LIKES)
GONE: Ranked = (None, None, None, None)


class Author:
    """An account with one post, liked ``LIKES`` times today."""

    def __init__(self) -> None:
        self.account = Account()
        self.post = Post(self.account.id)

    def likes(self) -> list[events.Event]:
        return [self.post.liked(uuid.uuid4()) for _ in range(LIKES)]

    def ranked(self, api: StatsApi) -> Ranked:
        """Where the post and the author are ranked, by likes."""
        day_posts, all_posts = (
            {post: value for post, _, value in api.top_posts(pb.METRIC_LIKES, period)}
            for period in (pb.PERIOD_DAY, pb.PERIOD_ALL)
        )
        day_authors, all_authors = (
            dict(api.top_authors(pb.METRIC_LIKES, period)) for period in (pb.PERIOD_DAY, pb.PERIOD_ALL)
        )
        post, account = str(self.post.id), str(self.account.id)
        return (day_posts.get(post), day_authors.get(account), all_posts.get(post), all_authors.get(account))


def shown(api: StatsApi, bootstrap: str, *authors: Author) -> None:
    """Publish each author's likes and wait until they are ranked."""
    publish(bootstrap, [event for author in authors for event in author.likes()])
    for author in authors:
        eventually(functools.partial(author.ranked, api), SHOWN)


def read_past(api: StatsApi, bootstrap: str, where: Author, probe: Author) -> None:
    """Wait until the consumer has read ``where``'s partition of the accounts topic up to now: hide
    ``probe`` by an event keyed as ``where``'s, so on that partition after everything published
    before, and wait until the probe leaves the rankings."""
    publish(bootstrap, [probe.account.suspended()], under=where.account.id)
    eventually(lambda: probe.ranked(api), GONE)


def test_a_hidden_author_leaves_the_rankings_and_comes_back_with_the_same_counts(
    api: StatsApi, bootstrap: str
) -> None:
    author = Author()
    shown(api, bootstrap, author)

    publish(bootstrap, [author.account.suspended()])
    eventually(lambda: author.ranked(api), GONE)
    assert api.counts(author.post) == (LIKES, 0, 0, 0)  # counted still, only not ranked

    publish(bootstrap, [author.account.active()])
    eventually(lambda: author.ranked(api), SHOWN)


def test_a_suspension_ends_by_itself_at_hidden_until(api: StatsApi, bootstrap: str) -> None:
    author = Author()
    shown(api, bootstrap, author)

    until = utc_now() + datetime.timedelta(seconds=4)
    publish(bootstrap, [author.account.suspended(until=until)])
    eventually(lambda: author.ranked(api), GONE, timeout=2.0)

    eventually(lambda: author.ranked(api), SHOWN)  # no further event: only the time passing
    assert utc_now() >= until


def test_an_older_version_arriving_after_a_newer_one_is_ignored(api: StatsApi, bootstrap: str) -> None:
    author, probe = Author(), Author()
    shown(api, bootstrap, author, probe)

    publish(bootstrap, [author.account.suspended(version=2)])
    eventually(lambda: author.ranked(api), GONE)

    publish(bootstrap, [author.account.active(version=1)])  # late, and stale
    read_past(api, bootstrap, author, probe)
    assert author.ranked(api) == GONE


def test_a_status_delivered_again_changes_nothing(api: StatsApi, bootstrap: str) -> None:
    author, probe = Author(), Author()
    suspended = author.account.suspended()
    # The same change twice, among likes: the consumer reads account statuses along with counts.
    likes = author.likes()
    publish(bootstrap, [*likes[:50], suspended, suspended])
    publish(bootstrap, [*probe.likes(), *likes[50:]])
    eventually(lambda: author.ranked(api), GONE)
    eventually(lambda: api.counts(author.post), (LIKES, 0, 0, 0))
    eventually(lambda: probe.ranked(api), SHOWN)

    publish(bootstrap, [author.account.active()])
    eventually(lambda: author.ranked(api), SHOWN)

    publish(bootstrap, [suspended])  # redelivered after the newer change
    read_past(api, bootstrap, author, probe)
    assert author.ranked(api) == SHOWN
    assert api.counts(author.post) == (LIKES, 0, 0, 0)


def test_a_deleted_account_leaves_the_rankings_before_its_posts_are_deleted(
    api: StatsApi, bootstrap: str
) -> None:
    author = Author()
    shown(api, bootstrap, author)

    publish(bootstrap, [author.account.deleted()])  # its posts' post_deleted come later, from posts
    eventually(lambda: author.ranked(api), GONE)
    assert api.counts(author.post) == (LIKES, 0, 0, 0)
