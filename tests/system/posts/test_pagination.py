"""Keyset pages: stable while items arrive (no repeats, no skips), sized as asked, tokens checked."""

from __future__ import annotations

import base64
import functools

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.system.posts.factories import PostsApi, caller, fails
from tests.system.posts.paging import assert_stable, meanwhile, page_through

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def test_listing_posts_while_new_ones_arrive_neither_repeats_nor_skips(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    existing = [api.post(author).id for _ in range(23)]

    def fetch(token: str) -> tuple[list[str], str]:
        request = pb.ListPostsRequest(caller=author, author_id=author.user_id, page_size=5, page_token=token)
        reply = stub.ListPosts(request, timeout=5)
        return [post.id for post in reply.posts], reply.next_page_token

    with meanwhile(lambda: api.post(author)):
        listed = page_through(fetch)
    assert_stable(listed, existing, newest_first=True)


def test_listing_comments_while_new_ones_arrive_neither_repeats_nor_skips(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post, reader = api.post(), caller()
    existing = [api.comment(caller(), post).id for _ in range(12)]

    def fetch(token: str) -> tuple[list[str], str]:
        request = pb.ListCommentsRequest(caller=reader, post_id=post.id, page_size=5, page_token=token)
        reply = stub.ListComments(request, timeout=5)
        return [comment.id for comment in reply.comments], reply.next_page_token

    with meanwhile(lambda: api.comment(caller(), post)):
        listed = page_through(fetch)
    assert_stable(listed, existing, newest_first=False)


def test_listing_liked_posts_while_new_likes_arrive_neither_repeats_nor_skips(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    fan = caller()
    existing = [api.like(fan, api.post()).id for _ in range(12)]

    def fetch(token: str) -> tuple[list[str], str]:
        request = pb.ListLikedPostsRequest(caller=fan, user_id=fan.user_id, page_size=5, page_token=token)
        reply = stub.ListLikedPosts(request, timeout=5)
        return [post.id for post in reply.posts], reply.next_page_token

    with meanwhile(lambda: api.like(fan, api.post())):
        listed = page_through(fetch)
    assert_stable(listed, existing, newest_first=True)


def test_page_size_zero_means_20_and_the_last_page_has_no_token(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    for _ in range(25):
        api.post(author)
    first = stub.ListPosts(pb.ListPostsRequest(caller=author, author_id=author.user_id), timeout=5)
    assert len(first.posts) == 20
    assert first.next_page_token
    request = pb.ListPostsRequest(caller=author, author_id=author.user_id, page_token=first.next_page_token)
    rest = stub.ListPosts(request, timeout=5)
    assert (len(rest.posts), rest.next_page_token) == (5, "")


def test_a_list_that_fills_its_pages_exactly_ends_without_an_empty_page(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    for _ in range(6):
        api.post(author)
    request = pb.ListPostsRequest(caller=author, author_id=author.user_id, page_size=3)
    first = stub.ListPosts(request, timeout=5)
    request.page_token = first.next_page_token
    second = stub.ListPosts(request, timeout=5)
    assert (len(first.posts), len(second.posts), second.next_page_token) == (3, 3, "")


@pytest.mark.parametrize("size", [-1, 101, 1000])
def test_page_sizes_outside_0_to_100_are_refused(stub: posts_pb2_grpc.PostsServiceStub, size: int) -> None:
    author = caller()
    requests: list[tuple[str, object]] = [
        ("ListPosts", pb.ListPostsRequest(caller=author, author_id=author.user_id, page_size=size)),
        ("ListLikedPosts", pb.ListLikedPostsRequest(caller=author, user_id=author.user_id, page_size=size)),
        ("ListFeed", pb.ListFeedRequest(caller=author, page_size=size)),
        ("SearchPosts", pb.SearchPostsRequest(caller=author, query="anything", page_size=size)),
    ]
    for method, request in requests:
        fails(functools.partial(getattr(stub, method), request, timeout=5), INVALID, "page_size")


def test_100_is_the_largest_page(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub) -> None:
    author = caller()
    request = pb.ListPostsRequest(caller=author, author_id=author.user_id, page_size=100)
    assert stub.ListPosts(request, timeout=5).next_page_token == ""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "%%%%",
        _b64(b"not json"),
        _b64(b'["posts", "not-a-uuid"]'),
        _b64(b'["elsewhere", "01a2177a-7413-768f-ba90-7abe87f0dbc7"]'),
        _b64(b'["likes", ["yesterday", "01a2177a-7413-768f-ba90-7abe87f0dbc7"]]'),
        _b64(b'["search", ["high", "01a2177a-7413-768f-ba90-7abe87f0dbc7"]]'),
        _b64(b'["search", [-1.0, "01a2177a-7413-768f-ba90-7abe87f0dbc7"]]'),
        _b64(b'["search", [1e39, "01a2177a-7413-768f-ba90-7abe87f0dbc7"]]'),
        "A" * 1000,
    ],
)
def test_malformed_page_tokens_are_refused_by_every_list(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, token: str
) -> None:
    author = caller()
    post = api.post(author)
    for method, request in [
        ("ListPosts", pb.ListPostsRequest(caller=author, author_id=author.user_id, page_token=token)),
        ("ListComments", pb.ListCommentsRequest(caller=author, post_id=post.id, page_token=token)),
        ("ListLikedPosts", pb.ListLikedPostsRequest(caller=author, user_id=author.user_id, page_token=token)),
        ("ListFeed", pb.ListFeedRequest(caller=author, page_token=token)),
        ("SearchPosts", pb.SearchPostsRequest(caller=author, query="post", page_token=token)),
    ]:
        fails(functools.partial(getattr(stub, method), request, timeout=5), INVALID, "page_token")


def test_a_token_from_one_list_is_refused_by_another(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    post = api.post(author)
    api.post(author)
    for _ in range(2):
        api.comment(author, post)
    posts_token = stub.ListPosts(
        pb.ListPostsRequest(caller=author, author_id=author.user_id, page_size=1), timeout=5
    ).next_page_token
    comments_token = stub.ListComments(
        pb.ListCommentsRequest(caller=author, post_id=post.id, page_size=1), timeout=5
    ).next_page_token
    assert posts_token
    assert comments_token
    wrong = pb.ListPostsRequest(caller=author, author_id=author.user_id, page_token=comments_token)
    fails(lambda: stub.ListPosts(wrong, timeout=5), INVALID, "page_token")
    also_wrong = pb.ListCommentsRequest(caller=author, post_id=post.id, page_token=posts_token)
    fails(lambda: stub.ListComments(also_wrong, timeout=5), INVALID, "page_token")


def test_a_comments_token_pages_the_comments(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub) -> None:
    post, reader = api.post(), caller()
    comments = [api.comment(caller(), post).id for _ in range(3)]
    request = pb.ListCommentsRequest(caller=reader, post_id=post.id, page_size=1)
    first = stub.ListComments(request, timeout=5)
    request.page_token = first.next_page_token
    request.page_size = 10
    assert [c.id for c in stub.ListComments(request, timeout=5).comments] == comments[1:]
