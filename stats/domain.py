"""The statistics as plain values, and what can go wrong asking for them. No protobuf here."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid

from idl.flock import wire
from servicekit.errors import Invalid


class Metric(enum.Enum):
    """What is counted; the value names the counter column."""

    LIKES = "likes"
    VIEWS = "views"
    COMMENTS = "comments"


class Period(enum.Enum):
    """Over which time, ending now; the value is its length in hours (0: all time)."""

    DAY = 24
    WEEK = 7 * 24
    ALL = 0


@dataclasses.dataclass(frozen=True)
class PostStats:
    post_id: uuid.UUID
    likes: int = 0
    views: int = 0
    unique_viewers: int = 0
    comments: int = 0


@dataclasses.dataclass(frozen=True)
class RankedPost:
    post_id: uuid.UUID
    author_id: uuid.UUID
    value: int


@dataclasses.dataclass(frozen=True)
class RankedAuthor:
    author_id: uuid.UUID
    value: int


@dataclasses.dataclass(frozen=True)
class DailyActivity:
    date: datetime.date
    likes: int = 0
    views: int = 0
    unique_viewers: int = 0
    comments: int = 0


@dataclasses.dataclass(frozen=True)
class PostSubject:
    """Activity of one post."""

    post_id: uuid.UUID


@dataclasses.dataclass(frozen=True)
class AuthorSubject:
    """Activity of all the (not deleted) posts of one author."""

    author_id: uuid.UUID


Subject = PostSubject | AuthorSubject


class InvalidArgument(Invalid):
    """A request field is malformed or out of range; ``field`` names it (``post_ids``, ``limit``). Its
    ``code`` is sent as trailing metadata ``flock-reason``."""

    code = wire.INVALID_ARGUMENT

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
