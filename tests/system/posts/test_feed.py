"""ListFeed: the caller's own posts and those of the accounts they follow that they may see, newest
first, in keyset pages that neither repeat nor skip while new posts arrive."""

from __future__ import annotations

import base64
import functools

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.system.posts.factories import (
    ANONYMOUS,
    PostsApi,
    admin,
    caller,
    fails,
    follower,
    moderator,
    without_following,
)
from tests.system.posts.paging import assert_stable, meanwhile, page_through

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def test_the_feed_holds_own_posts_and_what_the_caller_may_see_of_the_accounts_they_follow(
    api: PostsApi,
) -> None:
    followed, other = caller(), caller()
    reader = follower(followed)
    shown = [
        api.post(reader),
        api.post(followed),
        api.private_post(reader),  # one's own private posts are in one's feed
        api.followers_post(followed),
        api.followers_post(reader),
    ]
    api.private_post(followed)  # followed, but private
    api.post(other)  # not followed
    api.followers_post(other)
    shown.append(api.post(followed))

    feed = api.feed_page(reader)
    assert [post.id for post in feed.posts] == [post.id for post in reversed(shown)]
    assert feed.next_page_token == ""
    assert [post.visibility for post in feed.posts][:3] == [
        pb.VISIBILITY_PUBLIC,
        pb.VISIBILITY_FOLLOWERS,
        pb.VISIBILITY_FOLLOWERS,
    ]


def test_without_following_anyone_the_feed_is_ones_own_posts(api: PostsApi) -> None:
    reader = caller()
    assert api.feed(reader) == []
    own = [api.post(reader).id, api.private_post(reader).id]
    api.post()
    assert api.feed(reader) == own[::-1]


def test_an_unfollowed_author_leaves_the_feed(api: PostsApi) -> None:
    followed = caller()
    reader = follower(followed)
    post = api.post(followed)
    assert api.feed(reader) == [post.id]
    assert api.feed(without_following(reader)) == []


def test_staff_feeds_follow_the_same_rules(api: PostsApi) -> None:
    followed = caller()
    public, _ = api.post(followed), api.private_post(followed)
    for role in (moderator(), admin()):
        staff = pb.Caller(user_id=role.user_id, role=role.role, following=[followed.user_id])
        assert api.feed(staff) == [public.id]


def test_repeats_in_the_following_list_and_following_oneself_repeat_nothing(api: PostsApi) -> None:
    followed, reader = caller(), caller()
    theirs, mine = api.post(followed), api.post(reader)
    odd = pb.Caller(user_id=reader.user_id, following=[followed.user_id, reader.user_id, followed.user_id])
    assert api.feed(odd) == [mine.id, theirs.id]


def test_the_feed_marks_what_the_caller_liked_and_counts_everything(api: PostsApi) -> None:
    followed = caller()
    reader = follower(followed)
    liked, other = api.post(followed), api.post(followed)
    api.like(reader, liked)
    api.like(caller(), liked)
    api.comment(caller(), other)
    posts = {post.id: post for post in api.feed_page(reader).posts}
    assert (posts[liked.id].liked_by_caller, posts[liked.id].like_count) == (True, 2)
    assert (posts[other.id].liked_by_caller, posts[other.id].comment_count) == (False, 1)


def test_the_feed_merges_many_authors_newest_first(api: PostsApi) -> None:
    authors = [caller() for _ in range(12)]
    reader = follower(*authors)
    # Round-robin, so that each author's posts interleave with the others'.
    made = [api.post(author).id for _ in range(3) for author in authors]
    assert api.feed(reader) == made[::-1]


def test_paging_the_feed_while_new_posts_arrive_neither_repeats_nor_skips(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    authors = [caller() for _ in range(4)]
    reader = follower(*authors)
    existing = []
    for i in range(23):
        author = authors[i % 4]
        existing.append((api.followers_post(author) if i % 5 == 0 else api.post(author)).id)
        if i % 7 == 0:
            api.private_post(author)  # never shown
    posting = iter(range(1_000_000))

    def fetch(token: str) -> tuple[list[str], str]:
        reply = stub.ListFeed(pb.ListFeedRequest(caller=reader, page_size=5, page_token=token), timeout=5)
        return [post.id for post in reply.posts], reply.next_page_token

    with meanwhile(lambda: api.post(authors[next(posting) % 4])):
        listed = page_through(fetch)
    # A first page read before the new posts came holds only existing ones, and the rest follow.
    assert_stable(listed, existing, newest_first=True)


def test_page_size_zero_means_20_and_the_last_page_has_no_token(api: PostsApi) -> None:
    followed = caller()
    reader = follower(followed)
    made = [api.post(followed).id for _ in range(25)]
    first = api.feed_page(reader, page_size=0)
    assert [post.id for post in first.posts] == made[:4:-1]
    rest = api.feed_page(reader, page_size=0, token=first.next_page_token)
    assert ([post.id for post in rest.posts], rest.next_page_token) == (made[4::-1], "")


def test_a_feed_that_fills_its_pages_exactly_ends_without_an_empty_page(api: PostsApi) -> None:
    reader = caller()
    for _ in range(4):
        api.post(reader)
    first = api.feed_page(reader, page_size=2)
    second = api.feed_page(reader, page_size=2, token=first.next_page_token)
    assert (len(first.posts), len(second.posts), second.next_page_token) == (2, 2, "")


@pytest.mark.parametrize("size", [-1, 101])
def test_page_sizes_outside_0_to_100_are_refused(api: PostsApi, size: int) -> None:
    fails(functools.partial(api.feed_page, caller(), page_size=size), INVALID, "page_size")


def test_100_is_the_largest_page(api: PostsApi) -> None:
    reader = caller()
    for _ in range(3):
        api.post(reader)
    assert len(api.feed_page(reader, page_size=100).posts) == 3


def test_tokens_of_other_lists_are_refused_and_the_feeds_elsewhere(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    reader = caller()
    for _ in range(2):
        api.post(reader)
    feed_token = api.feed_page(reader, page_size=1).next_page_token
    posts_token = stub.ListPosts(
        pb.ListPostsRequest(caller=reader, author_id=reader.user_id, page_size=1), timeout=5
    ).next_page_token
    assert feed_token
    assert posts_token
    fails(functools.partial(api.feed_page, reader, token=posts_token), INVALID, "page_token")
    request = pb.ListPostsRequest(caller=reader, author_id=reader.user_id, page_token=feed_token)
    fails(lambda: stub.ListPosts(request, timeout=5), INVALID, "page_token")
    forged = base64.urlsafe_b64encode(b'["feed", 42]').rstrip(b"=").decode()
    fails(functools.partial(api.feed_page, reader, token=forged), INVALID, "page_token")


def test_the_feed_needs_a_signed_in_caller(api: PostsApi) -> None:
    fails(lambda: api.feed_page(ANONYMOUS), grpc.StatusCode.UNAUTHENTICATED)
