"""Authors are looked up once per page, whatever its size."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Iterable

from gateway.clients.posts import PostRecord
from gateway.posts.presenters import post_views
from gateway.users.service import AccountSummary


class CountingDirectory:
    def __init__(self, known: list[AccountSummary]) -> None:
        self.known = {summary.id: summary for summary in known}
        self.lookups: list[set[uuid.UUID]] = []

    async def summaries(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountSummary]:
        wanted = set(user_ids)
        self.lookups.append(wanted)
        return {i: self.known[i] for i in wanted if i in self.known}


def record(author_id: uuid.UUID) -> PostRecord:
    now = datetime.datetime.now(tz=datetime.UTC)
    return PostRecord(uuid.uuid4(), author_id, "text", "public", now, now, 0, 0, False)


def test_a_page_of_posts_costs_one_author_lookup() -> None:
    ada, bob = AccountSummary(uuid.uuid4(), "ada", "Ada"), AccountSummary(uuid.uuid4(), "bob", "Bob")
    directory = CountingDirectory([ada, bob])
    page = [record(ada.id), record(bob.id), record(ada.id), record(uuid.uuid4())]
    views = asyncio.run(post_views(directory, page))
    assert directory.lookups == [{ada.id, bob.id, page[3].author_id}]
    assert [view.author.username for view in views] == ["ada", "bob", "ada", "[deleted]"]
