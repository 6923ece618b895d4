"""HTTP schemas for statistics."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from gateway.http.schemas import Author
from gateway.posts.schemas import Post

Metric = Annotated[Literal["likes", "views", "comments"], msgspec.Meta(description="What to rank by.")]
Period = Annotated[
    Literal["day", "week", "all"],
    msgspec.Meta(description="The last 24 hours, the last 7 days, or all time."),
]


class PostStats(msgspec.Struct, kw_only=True):
    """All-time statistics of a post."""

    post_id: uuid.UUID
    likes: int
    views: int
    unique_viewers: int
    comments: int


class RankedPost(msgspec.Struct, kw_only=True):
    post: Post
    value: int


class TopPosts(msgspec.Struct, kw_only=True):
    """The posts with the most of ``metric`` over ``period``, most first (only those you may see)."""

    metric: str
    period: str
    items: list[RankedPost]


class RankedAuthor(msgspec.Struct, kw_only=True):
    author: Author
    value: int


class TopAuthors(msgspec.Struct, kw_only=True):
    """The authors whose posts got the most of ``metric`` over ``period``, most first."""

    metric: str
    period: str
    items: list[RankedAuthor]


class Day(msgspec.Struct, kw_only=True):
    """One day (UTC) of activity on my posts; likes and comments are net of those taken back."""

    date: datetime.date
    likes: int
    views: int
    unique_viewers: int
    comments: int


class Totals(msgspec.Struct, kw_only=True):
    likes: int
    views: int
    comments: int


class MyStats(msgspec.Struct, kw_only=True):
    """My posts' activity over a range of days: the totals and the series."""

    from_date: datetime.date = msgspec.field(name="from")
    to_date: datetime.date = msgspec.field(name="to")
    totals: Totals
    days: list[Day]
