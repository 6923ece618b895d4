"""The calls measured: ListFeed (first, deep and old pages; 1,000 and 5,000 followed) and SearchPosts
(anonymous and signed in, first and deep pages, phrases, a stop word), over gRPC."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Iterator

import grpc

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from posts.pagination import FEED
from scripts.benchmark.feed_search.data import median_id
from scripts.benchmark.report import percentile, table
from scripts.benchmark.timing import timed


@dataclasses.dataclass(frozen=True)
class Cursors:
    """The reader, whom they follow, and the deep pages reached: for the measured calls and the plans."""

    reader_id: str
    followed: list[uuid.UUID]
    middle: uuid.UUID  # the median id of the followed authors' posts
    search_page: str  # the token of the 11th page of 'coffee'


class Calls:
    """ListFeed and SearchPosts on one channel, page size 20."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.stub = posts_pb2_grpc.PostsServiceStub(channel)

    def feed(self, caller: pb.Caller, token: str = "") -> pb.ListFeedResponse:
        """One page of ``caller``'s feed."""
        request = pb.ListFeedRequest(caller=caller, page_size=20, page_token=token)
        return self.stub.ListFeed(request, timeout=30)

    def search(self, caller: pb.Caller, query: str, token: str = "") -> pb.SearchPostsResponse:
        """One page of the posts ``caller`` finds with ``query``."""
        request = pb.SearchPostsRequest(caller=caller, query=query, page_size=20, page_token=token)
        return self.stub.SearchPosts(request, timeout=30)


def cursors(calls: Calls, db_url: str, reader_id: uuid.UUID, followed: list[uuid.UUID]) -> Cursors:
    """The reader (whose blocks and mutes were seeded), and the deep places the cases and the plans
    read: 10 pages of the search down, the median id of the followed authors' posts."""
    reader = pb.Caller(user_id=str(reader_id), following=[str(author) for author in followed])
    token = ""
    for _ in range(10):
        token = calls.search(reader, "coffee", token).next_page_token
    return Cursors(str(reader_id), followed, asyncio.run(median_id(db_url, followed)), token)


def cases(calls: Calls, at: Cursors, others: list[uuid.UUID]) -> Iterator[tuple[str, Callable[[], object]]]:
    """Each case's name and its call."""
    followed = at.followed
    reader = pb.Caller(user_id=at.reader_id, following=[str(author) for author in followed])
    most = pb.Caller(user_id=at.reader_id, following=[str(author) for author in [*followed, *others][:5000]])
    anonymous = pb.Caller()
    deep = ""
    for _ in range(50):  # 1000 posts down
        deep = calls.feed(reader, deep).next_page_token
    halfway = FEED.encode(at.middle)
    yield f"ListFeed, {len(followed)} followed, first page", lambda: calls.feed(reader)
    yield "ListFeed, 51st page (1000 posts down)", lambda: calls.feed(reader, deep)
    yield "ListFeed, half-way back (45 days)", lambda: calls.feed(reader, halfway)
    yield "ListFeed, 5000 followed, first page", lambda: calls.feed(most)
    yield "SearchPosts 'coffee' (~30 % of posts), anonymous", lambda: calls.search(anonymous, "coffee")
    yield f"SearchPosts 'coffee', {len(followed)} followed", lambda: calls.search(reader, "coffee")
    yield "SearchPosts 'coffee', 5000 followed", lambda: calls.search(most, "coffee")
    yield "SearchPosts 'coffee', 11th page", lambda: calls.search(reader, "coffee", at.search_page)
    yield "SearchPosts 'coffee morning' (both words)", lambda: calls.search(reader, "coffee morning")
    yield "SearchPosts '\"museum bicycle\"' (a phrase)", lambda: calls.search(reader, '"museum bicycle"')
    yield "SearchPosts 'the' (stop word only)", lambda: calls.search(reader, "the")


def measure(calls: Calls, at: Cursors, others: list[uuid.UUID], times: int) -> str:
    """Time every case ``times`` times, one call at a time after 5 warm-up calls; the table of p50/p99."""
    rows = []
    for name, call in cases(calls, at, others):
        samples = timed(call, times, warmup=5)
        rows.append([name, *(f"{percentile(samples, fraction) * 1000:.1f} ms" for fraction in (0.5, 0.99))])
    return table([f"Call ({times} times, page size 20)", "p50", "p99"], rows)
