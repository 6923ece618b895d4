"""Activity: counts per UTC day of a post, or of an author's posts, every day of the range listed."""

from __future__ import annotations

import datetime
import uuid

import grpc
import pytest

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from tests.system.posts.factories import fails
from tests.system.stats.factories import Post, StatsApi, eventually, publish, utc_now

ZERO = (0, 0, 0, 0)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def test_activity_of_a_post_lists_every_day_zeros_included(api: StatsApi, bootstrap: str) -> None:
    today = utc_now().date()
    before = today - datetime.timedelta(days=2)
    post, ada, bob = Post(), uuid.uuid4(), uuid.uuid4()
    gone = post.commented(bob, noon(today))
    publish(
        bootstrap,
        [
            post.created(noon(before)),
            post.liked(ada, noon(before)),
            post.liked(bob, noon(before)),
            post.viewed("ada", noon(before)),
            post.viewed("ada", noon(before)),
            post.viewed("bob", noon(before)),
            post.commented(ada, noon(before)),
            post.unliked(bob, noon(today)),  # taken back on another day: that day's likes go down
            post.viewed("ada", noon(today)),
            gone,
            post.comment_deleted(gone),
        ],
    )
    expected = [
        ((today - datetime.timedelta(days=3)).isoformat(), ZERO),
        (before.isoformat(), (2, 3, 2, 1)),
        ((today - datetime.timedelta(days=1)).isoformat(), ZERO),
        (today.isoformat(), (-1, 1, 1, 0)),
    ]
    eventually(
        lambda: api.activity(today - datetime.timedelta(days=3), today, post_id=str(post.id)), expected
    )
    assert api.counts(post) == (1, 4, 2, 1)  # all time: the same events, summed


def test_activity_of_an_author_sums_their_posts_and_counts_a_reader_once_a_day(
    api: StatsApi, bootstrap: str
) -> None:
    day = utc_now().date() - datetime.timedelta(days=5)
    author = uuid.uuid4()
    first, second, deleted, someone_elses = Post(author), Post(author), Post(author), Post()
    publish(
        bootstrap,
        [
            first.viewed("reader", noon(day)),
            first.liked(uuid.uuid4(), noon(day)),
            second.viewed("reader", noon(day)),  # the same reader, another post: one viewer that day
            second.viewed("other", noon(day)),
            deleted.deleted(noon(day)),  # first: once its like counts, its deletion has too
            deleted.viewed("ghost", noon(day)),
            deleted.liked(uuid.uuid4(), noon(day)),
            someone_elses.viewed("reader", noon(day)),
        ],
    )
    eventually(lambda: api.counts(deleted), (1, 1, 1, 0))
    eventually(lambda: api.activity(day, day, author_id=str(author)), [(day.isoformat(), (1, 3, 2, 0))])


def test_a_year_of_days_is_the_most_one_call_covers(api: StatsApi) -> None:
    first = datetime.date(2024, 1, 1)
    days = api.activity(first, first + datetime.timedelta(days=366), post_id=str(uuid.uuid4()))
    assert len(days) == 367
    assert (days[0][0], days[-1][0]) == ("2024-01-01", "2025-01-01")
    assert {counts for _, counts in days} == {ZERO}


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"from_date": "2026-01-01", "to_date": "2026-01-02"}, "subject"),
        ({"post_id": "not-a-uuid", "from_date": "2026-01-01", "to_date": "2026-01-02"}, "post_id"),
        ({"author_id": "", "from_date": "2026-01-01", "to_date": "2026-01-02"}, "author_id"),
        ({"post_id": str(uuid.uuid4()), "from_date": "", "to_date": "2026-01-02"}, "from_date"),
        ({"post_id": str(uuid.uuid4()), "from_date": "2026-02-30", "to_date": "2026-03-02"}, "from_date"),
        ({"post_id": str(uuid.uuid4()), "from_date": "20260101", "to_date": "2026-01-02"}, "from_date"),
        ({"post_id": str(uuid.uuid4()), "from_date": "2026-01-01", "to_date": "2026-1-2"}, "to_date"),
        ({"post_id": str(uuid.uuid4()), "from_date": "2026-01-02", "to_date": "2026-01-01"}, "to_date"),
        ({"post_id": str(uuid.uuid4()), "from_date": "2024-01-01", "to_date": "2025-01-02"}, "to_date"),
    ],
)
def test_a_bad_activity_request_names_its_field(
    stub: stats_pb2_grpc.StatsServiceStub, request_fields: dict[str, str], field: str
) -> None:
    request = pb.ActivityRequest(**request_fields)
    fails(lambda: stub.Activity(request, timeout=5), grpc.StatusCode.INVALID_ARGUMENT, field)
