"""In-memory stand-ins for the gateway's services, so controllers run in-process in milliseconds.

Each fake subclasses the real service and keeps its signatures (mypy checks them); only what the
fast tests call is implemented. ``create_app(services=fake_services())`` builds the real app on them.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Request

from gateway.auth.service import NotAuthenticated, Principal, Sessions
from gateway.clients.posts import (
    Caller,
    CommentRecord,
    Page,
    PostNotFound,
    PostRecord,
    PostsClient,
    VisibilityName,
)
from gateway.clients.stats import DayRecord, PostStatsRecord, StatsClient
from gateway.graph.service import Graph
from gateway.http.ratelimit import RateLimiter
from gateway.services import Services
from gateway.users.errors import UserNotFound
from gateway.users.service import Account, Accounts, AccountSummary
from gateway.view_events import ViewPublisher

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


def account(username: str, *, is_private: bool = False) -> Account:
    return Account(
        uuid.uuid4(), username, f"{username}@example.org", username.title(), "", is_private, "user", NOW, NOW
    )


class FakeAccounts(Accounts):
    def __init__(self, accounts: Iterable[Account]) -> None:
        self.by_id = {a.id: a for a in accounts}

    async def by_username(
        self, username: str, *, include_hidden: bool = False, viewer: uuid.UUID | None = None
    ) -> Account:
        for found in self.by_id.values():
            if found.username == username:
                return found
        raise UserNotFound()

    async def summaries(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountSummary]:
        return {
            i: AccountSummary(i, self.by_id[i].username, self.by_id[i].display_name)
            for i in user_ids
            if i in self.by_id
        }


class FakeSessions(Sessions):
    """Bearer ``token-<username>`` signs in as that account."""

    def __init__(self, accounts: FakeAccounts) -> None:
        self._accounts = accounts

    async def authenticate(self, access_token: str) -> Principal:
        for found in self._accounts.by_id.values():
            if access_token == f"token-{found.username}":
                return Principal(account=found, session_id=uuid.uuid4())
        raise NotAuthenticated()


class FakeGraph(Graph):
    def __init__(self) -> None:
        pass

    async def following_ids(
        self, user_id: uuid.UUID, among: Sequence[uuid.UUID] | None = None
    ) -> list[uuid.UUID]:
        return []


class NoRateLimits(RateLimiter):
    def __init__(self) -> None:
        pass

    async def before_request(self, request: Request[Any, Any, Any]) -> None:
        return None


class FakePosts(PostsClient):
    """Public posts in a dict; records what it was asked to create. Comments replay by idempotency
    key; ``failure``, when set, is what every comment raises (an outage, an unknown outcome)."""

    def __init__(self) -> None:
        self.posts: dict[uuid.UUID, PostRecord] = {}
        self.created: list[tuple[str, VisibilityName]] = []
        self.comments_by_key: dict[str, CommentRecord] = {}
        self.failure: Exception | None = None

    def for_request(self, request_id: str, caller: Caller) -> PostsClient:
        return self

    def add(self, author: Account, text: str) -> PostRecord:
        record = PostRecord(uuid.uuid4(), author.id, text, "public", NOW, NOW, 0, 0, False)
        self.posts[record.id] = record
        return record

    async def get_post(self, post_id: uuid.UUID) -> PostRecord:
        if post_id not in self.posts:
            raise PostNotFound("No such post.")
        return self.posts[post_id]

    async def create_post(
        self, text: str, visibility: VisibilityName, idempotency_key: str
    ) -> tuple[PostRecord, bool]:
        self.created.append((text, visibility))
        record = PostRecord(uuid.uuid4(), uuid.uuid4(), text, visibility, NOW, NOW, 0, 0, False)
        return record, False

    async def list_posts(self, author_id: uuid.UUID, limit: int, cursor: str | None) -> Page[PostRecord]:
        mine = [post for post in self.posts.values() if post.author_id == author_id]
        return Page(mine[:limit], None)

    async def add_comment(
        self, post_id: uuid.UUID, parent_id: uuid.UUID | None, text: str, idempotency_key: str
    ) -> tuple[CommentRecord, bool]:
        if self.failure is not None:
            raise self.failure
        if post_id not in self.posts:
            raise PostNotFound("No such post.")
        if idempotency_key in self.comments_by_key:
            return self.comments_by_key[idempotency_key], True
        author_id = self.posts[post_id].author_id
        record = CommentRecord(uuid.uuid4(), post_id, author_id, parent_id, text, NOW, 0)
        if idempotency_key:
            self.comments_by_key[idempotency_key] = record
        return record, False


class FakeStats(StatsClient):
    def __init__(self) -> None:
        self.asked: list[tuple[datetime.date, datetime.date]] = []

    def for_request(self, request_id: str) -> StatsClient:
        return self

    async def post_stats(self, post_ids: list[uuid.UUID]) -> dict[uuid.UUID, PostStatsRecord]:
        return {i: PostStatsRecord(i, likes=3, views=10, unique_viewers=4, comments=1) for i in post_ids}

    async def author_activity(
        self, author_id: uuid.UUID, first: datetime.date, last: datetime.date
    ) -> list[DayRecord]:
        self.asked.append((first, last))
        return [DayRecord(last, likes=2, views=5, unique_viewers=3, comments=1)]


def fake_services(*accounts: Account) -> Services:
    directory = FakeAccounts(accounts)
    return Services(
        accounts=directory,
        sessions=FakeSessions(directory),
        graph=FakeGraph(),
        rate_limiter=NoRateLimits(),
        posts=FakePosts(),
        stats=FakeStats(),
        views=ViewPublisher("", buffer_size=100, secret=b"unused"),
    )
