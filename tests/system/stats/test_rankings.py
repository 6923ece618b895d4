"""TopPosts and TopAuthors: per metric and period, most first, ties by id, deleted posts and zeros out.

The rankings are global and other tests publish too, so each assertion looks at this test's posts
and authors only, in the order the service ranks them; their counts are higher than any other test's.
A ranking is shared for up to FLOCK_STATS_RANKING_TTL_MS (0.5 s) after it was computed, so each
assertion waits, as for counts, until the ranking shows the events.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Iterator

import pytest

from idl.flock.events.v1 import events
from idl.flock.stats.v1 import stats_pb2 as pb
from tests.system.stats.factories import Post, StatsApi, eventually, publish, utc_now

LIKES, VIEWS, COMMENTS = pb.METRIC_LIKES, pb.METRIC_VIEWS, pb.METRIC_COMMENTS
DAY, WEEK, ALL = pb.PERIOD_DAY, pb.PERIOD_WEEK, pb.PERIOD_ALL


def activity(
    post: Post, at: datetime.datetime, likes: int = 0, views: int = 0, comments: int = 0
) -> Iterator[events.Event]:
    """``likes`` likes, ``views`` views (by distinct readers) and ``comments`` comments at ``at``."""
    for _ in range(likes):
        yield post.liked(uuid.uuid4(), at)
    for number in range(views):
        yield post.viewed(f"reader-{number}", at)
    for _ in range(comments):
        yield post.commented(uuid.uuid4(), at)


class Scene:
    """Author X wrote a (active now), b (two days ago), c (eight days ago) and d (deleted); author Y
    wrote e; f and g tie; h was liked and unliked."""

    def __init__(self) -> None:
        now = utc_now()
        self.x, self.y = uuid.uuid4(), uuid.uuid4()
        self.a, self.b, self.c, self.d = Post(self.x), Post(self.x), Post(self.x), Post(self.x)
        self.e, self.f, self.g, self.h = Post(self.y), Post(), Post(), Post()
        fan = uuid.uuid4()
        self.events = [
            *activity(self.a, now, likes=30, views=40, comments=20),
            *activity(self.b, now - datetime.timedelta(days=2), likes=50, views=25, comments=35),
            *activity(self.c, now - datetime.timedelta(days=8), likes=60, views=60, comments=60),
            *activity(self.d, now, likes=90, views=90, comments=90),
            self.d.deleted(),
            *activity(self.e, now, likes=35, views=10),
            *activity(self.f, now, views=22),
            *activity(self.g, now, views=22),
            self.h.liked(fan, now),
            self.h.unliked(fan, now),
            self.h.commented(fan, now),  # after the unlike: once it counts, so does the unlike
        ]
        self.counts = {
            self.a: (30, 40, 40, 20),
            self.b: (50, 25, 25, 35),
            self.c: (60, 60, 60, 60),
            self.d: (90, 90, 90, 90),
            self.e: (35, 10, 10, 0),
            self.f: (0, 22, 22, 0),
            self.g: (0, 22, 22, 0),
            self.h: (0, 0, 0, 1),
        }

    @property
    def posts(self) -> dict[str, str]:
        """The ranked posts by id (h, whose one comment ties with other tests' posts, is not)."""
        named = {"a": self.a, "b": self.b, "c": self.c, "d": self.d, "e": self.e, "f": self.f, "g": self.g}
        return {str(post.id): name for name, post in named.items()}

    @property
    def authors(self) -> dict[str, str]:
        return {str(self.x): "X", str(self.y): "Y"}


@pytest.fixture(scope="module")
def scene(api: StatsApi, bootstrap: str) -> Scene:
    made = Scene()
    publish(bootstrap, made.events)
    posts = list(made.counts)
    eventually(
        lambda: [(s.likes, s.views, s.unique_viewers, s.comments) for s in api.stats(*posts)],
        list(made.counts.values()),
    )
    # d's deletion came after its likes: once they count, it leaves the ranking.
    eventually(lambda: str(made.d.id) in {post for post, _, _ in api.top_posts(LIKES, ALL)}, False)
    return made


def ranked_posts(
    api: StatsApi, scene: Scene, metric: pb.Metric.ValueType, period: pb.Period.ValueType
) -> list[tuple[str, int]]:
    mine = scene.posts
    return [(mine[post], value) for post, _, value in api.top_posts(metric, period) if post in mine]


@pytest.mark.parametrize(
    ("metric", "period", "expected"),
    [
        (LIKES, DAY, [("e", 35), ("a", 30)]),
        (LIKES, WEEK, [("b", 50), ("e", 35), ("a", 30)]),
        (LIKES, ALL, [("c", 60), ("b", 50), ("e", 35), ("a", 30)]),
        (COMMENTS, DAY, [("a", 20)]),
        (COMMENTS, WEEK, [("b", 35), ("a", 20)]),
        (COMMENTS, ALL, [("c", 60), ("b", 35), ("a", 20)]),
    ],
)
def test_top_posts_rank_the_period_and_leave_out_deleted_posts_and_zeros(
    api: StatsApi,
    scene: Scene,
    metric: pb.Metric.ValueType,
    period: pb.Period.ValueType,
    expected: list[tuple[str, int]],
) -> None:
    eventually(functools.partial(ranked_posts, api, scene, metric, period), expected)


def test_top_posts_break_ties_by_post_id(api: StatsApi, scene: Scene) -> None:
    tied = sorted(["f", "g"], key=lambda name: str(getattr(scene, name).id))
    for period, before in (
        (DAY, [("a", 40)]),
        (WEEK, [("a", 40), ("b", 25)]),
        (ALL, [("c", 60), ("a", 40), ("b", 25)]),
    ):
        expected = [*before, (tied[0], 22), (tied[1], 22), ("e", 10)]
        eventually(functools.partial(ranked_posts, api, scene, VIEWS, period), expected)


@pytest.mark.parametrize("period", [DAY, WEEK, ALL])
def test_a_post_whose_likes_were_all_taken_back_is_not_ranked_by_likes(
    api: StatsApi, scene: Scene, period: pb.Period.ValueType
) -> None:
    def zeros_left_out() -> bool:
        top = api.top_posts(LIKES, period)
        return str(scene.h.id) not in {post for post, _, _ in top} and all(value > 0 for _, _, value in top)

    eventually(zeros_left_out, True)


def test_top_posts_name_the_author_and_honour_the_limit(api: StatsApi, scene: Scene) -> None:
    eventually(lambda: (str(scene.c.id), str(scene.x), 60) in api.top_posts(LIKES, ALL, limit=100), True)
    top = api.top_posts(LIKES, ALL, limit=100)
    assert len(api.top_posts(LIKES, ALL, limit=1)) == 1
    assert all(value > 0 for _, _, value in top)
    assert [value for _, _, value in top] == sorted((value for _, _, value in top), reverse=True)


@pytest.mark.parametrize(
    ("metric", "period", "expected"),
    [
        (LIKES, DAY, [("Y", 35), ("X", 30)]),
        (LIKES, WEEK, [("X", 80), ("Y", 35)]),
        (LIKES, ALL, [("X", 140), ("Y", 35)]),
        (VIEWS, DAY, [("X", 40), ("Y", 10)]),
        (VIEWS, ALL, [("X", 125), ("Y", 10)]),
        (COMMENTS, WEEK, [("X", 55)]),
    ],
)
def test_top_authors_sum_their_posts_deleted_ones_left_out(
    api: StatsApi,
    scene: Scene,
    metric: pb.Metric.ValueType,
    period: pb.Period.ValueType,
    expected: list[tuple[str, int]],
) -> None:
    mine = scene.authors

    def ranked() -> list[tuple[str, int]]:
        return [(mine[author], value) for author, value in api.top_authors(metric, period) if author in mine]

    eventually(ranked, expected)
