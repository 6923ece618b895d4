"""Malformed requests: INVALID_ARGUMENT, the offending field in trailing metadata ``flock-field`` and a
message for humans. Lengths count characters after trimming."""

from __future__ import annotations

import uuid

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.system.posts.factories import ANONYMOUS, PostsApi, caller, fails

SOMEONE = caller()
SOME_ID = str(uuid.uuid4())
TOO_MANY = [str(uuid.uuid4()) for _ in range(5001)]


# Control characters but tab and line feed, and the bidirectional embeddings, overrides and isolates.
REFUSED = [
    "\x01",
    "\x1b",
    "\r",
    "\x0b",
    "\x7f",
    "\x85",
    "\x9b",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]
# Text that must come back as it went: scripts, combining marks, emoji sequences, directional marks.
KEPT = [
    "مرحبا بالعالم",  # Arabic
    "שלום עולם",  # Hebrew
    "你好，世界 こんにちは 안녕하세요",
    "e\u0301 n\u0303 \u0915\u094d\u0937",  # combining accents, a Devanagari conjunct
    "👩\u200d👩\u200d👧 👍🏽 🇫🇷 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "\u200fRTL mark\u200e, Arabic letter mark \u061c, zero width space \u200b",
    "tab\tand\nline\nfeed",
]


def following(*ids: str) -> pb.Caller:
    return pb.Caller(user_id=SOME_ID, following=ids)


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("CreatePost", pb.CreatePostRequest(caller=SOMEONE, text=""), "text"),
        ("CreatePost", pb.CreatePostRequest(caller=SOMEONE, text=" \n\t "), "text"),
        ("CreatePost", pb.CreatePostRequest(caller=SOMEONE, text="x" * 5001), "text"),
        ("CreatePost", pb.CreatePostRequest(caller=SOMEONE, text="nul \x00 inside"), "text"),
        *(
            ("CreatePost", pb.CreatePostRequest(caller=SOMEONE, text=f"a {refused} b"), "text")
            for refused in REFUSED
        ),
        ("UpdatePost", pb.UpdatePostRequest(caller=SOMEONE, post_id=SOME_ID, text="evil\u202e"), "text"),
        ("AddComment", pb.AddCommentRequest(caller=SOMEONE, post_id=SOME_ID, text="\u2066x"), "text"),
        ("AddComment", pb.AddCommentRequest(caller=SOMEONE, post_id=SOME_ID, text="bell\x07"), "text"),
        (
            "CreatePost",
            pb.CreatePostRequest(caller=SOMEONE, text="hi", visibility=pb.Visibility.ValueType(7)),
            "visibility",
        ),
        (
            "CreatePost",
            pb.CreatePostRequest(caller=SOMEONE, text="hi", idempotency_key="k" * 201),
            "idempotency_key",
        ),
        ("CreatePost", pb.CreatePostRequest(caller=pb.Caller(user_id="bob"), text="hi"), "caller.user_id"),
        (
            "CreatePost",
            pb.CreatePostRequest(caller=pb.Caller(user_id=SOME_ID, role=pb.Role.ValueType(9)), text="hi"),
            "caller.role",
        ),
        ("GetPost", pb.GetPostRequest(caller=SOMEONE, post_id="42"), "post_id"),
        ("GetPost", pb.GetPostRequest(caller=SOMEONE), "post_id"),
        ("GetPost", pb.GetPostRequest(caller=SOMEONE, post_id="{" + SOME_ID + "}"), "post_id"),
        ("GetPosts", pb.GetPostsRequest(caller=SOMEONE, post_ids=[SOME_ID, "nope"]), "post_ids"),
        ("UpdatePost", pb.UpdatePostRequest(caller=SOMEONE, post_id=SOME_ID, text="  "), "text"),
        ("UpdatePost", pb.UpdatePostRequest(caller=SOMEONE, post_id="x", text="hi"), "post_id"),
        ("DeletePost", pb.DeletePostRequest(caller=SOMEONE, post_id="x"), "post_id"),
        ("ListPosts", pb.ListPostsRequest(caller=SOMEONE, author_id="x"), "author_id"),
        ("ListPosts", pb.ListPostsRequest(caller=SOMEONE), "author_id"),
        ("AddComment", pb.AddCommentRequest(caller=SOMEONE, post_id=SOME_ID, text="x" * 2001), "text"),
        ("AddComment", pb.AddCommentRequest(caller=SOMEONE, post_id=SOME_ID, text=""), "text"),
        (
            "AddComment",
            pb.AddCommentRequest(caller=SOMEONE, post_id=SOME_ID, parent_id="x", text="hi"),
            "parent_id",
        ),
        ("AddComment", pb.AddCommentRequest(caller=SOMEONE, post_id="x", text="hi"), "post_id"),
        ("ListComments", pb.ListCommentsRequest(caller=SOMEONE, post_id=SOME_ID, parent_id="x"), "parent_id"),
        ("ListComments", pb.ListCommentsRequest(caller=SOMEONE, post_id=SOME_ID, page_size=101), "page_size"),
        (
            "DeleteComment",
            pb.DeleteCommentRequest(caller=SOMEONE, post_id=SOME_ID, comment_id="x"),
            "comment_id",
        ),
        ("LikePost", pb.LikePostRequest(caller=SOMEONE, post_id="x"), "post_id"),
        ("UnlikePost", pb.UnlikePostRequest(caller=SOMEONE, post_id="x"), "post_id"),
        ("ListLikedPosts", pb.ListLikedPostsRequest(caller=SOMEONE, user_id="x"), "user_id"),
        ("GetPost", pb.GetPostRequest(caller=following(SOME_ID, "bob"), post_id=SOME_ID), "caller.following"),
        ("GetPost", pb.GetPostRequest(caller=following(""), post_id=SOME_ID), "caller.following"),
        (
            "GetPost",
            pb.GetPostRequest(caller=following(SOME_ID.replace("-", "")), post_id=SOME_ID),
            "caller.following",
        ),
        ("GetPost", pb.GetPostRequest(caller=following(*TOO_MANY), post_id=SOME_ID), "caller.following"),
        ("ListFeed", pb.ListFeedRequest(caller=following(*TOO_MANY)), "caller.following"),
        ("ListFeed", pb.ListFeedRequest(caller=following("x")), "caller.following"),
        ("SearchPosts", pb.SearchPostsRequest(caller=following("x"), query="hi"), "caller.following"),
        ("SearchPosts", pb.SearchPostsRequest(caller=SOMEONE, query=""), "query"),
        ("SearchPosts", pb.SearchPostsRequest(caller=SOMEONE, query=" \n\t "), "query"),
        ("SearchPosts", pb.SearchPostsRequest(caller=SOMEONE, query="x" * 201), "query"),
        ("SearchPosts", pb.SearchPostsRequest(caller=SOMEONE, query="nul \x00 inside"), "query"),
    ],
)
def test_malformed_requests_name_the_offending_field(
    stub: posts_pb2_grpc.PostsServiceStub, method: str, request_: object, field: str
) -> None:
    fails(lambda: getattr(stub, method)(request_, timeout=5), grpc.StatusCode.INVALID_ARGUMENT, field)


def test_the_limits_count_characters_after_trimming(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    longest = "é" * 5000  # characters, not bytes
    post = stub.CreatePost(pb.CreatePostRequest(caller=caller(), text=f"  {longest}\n"), timeout=5).post
    assert post.text == longest
    comment = api.comment(caller(), post, body=f" {'c' * 2000} ")
    assert comment.text == "c" * 2000


def test_text_keeps_its_inner_whitespace_and_line_breaks(api: PostsApi) -> None:
    assert api.post(body="  two\n\nparagraphs  ").text == "two\n\nparagraphs"


@pytest.mark.parametrize("body", KEPT)
def test_every_script_and_emoji_is_kept_as_written(api: PostsApi, body: str) -> None:
    post = api.post(body=body)
    assert post.text == api.get(ANONYMOUS, post).text == body
    assert api.comment(caller(), post, body=body).text == body


def test_a_refused_character_is_named_in_the_message(stub: posts_pb2_grpc.PostsServiceStub) -> None:
    request = pb.CreatePostRequest(caller=SOMEONE, text="see \u202eoof")
    error = fails(lambda: stub.CreatePost(request, timeout=5), grpc.StatusCode.INVALID_ARGUMENT, "text")
    assert "U+202E at character 5" in (error.details() or "")


def test_a_search_query_refuses_only_nul(stub: posts_pb2_grpc.PostsServiceStub) -> None:
    request = pb.SearchPostsRequest(caller=SOMEONE, query="zq\u202enothing")  # matched, never shown
    assert list(stub.SearchPosts(request, timeout=5).posts) == []


def test_an_anonymous_caller_is_an_empty_user_id(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post = api.post()
    for anonymous in (pb.Caller(), pb.Caller(role=pb.ROLE_ADMIN), None):
        request = pb.GetPostRequest(caller=anonymous, post_id=post.id)
        assert not stub.GetPost(request, timeout=5).post.liked_by_caller


def test_a_following_list_may_name_5000_accounts(stub: posts_pb2_grpc.PostsServiceStub) -> None:
    reader = following(*TOO_MANY[:5000])
    assert list(stub.ListFeed(pb.ListFeedRequest(caller=reader), timeout=5).posts) == []


def test_a_search_query_may_be_200_characters_after_trimming(
    stub: posts_pb2_grpc.PostsServiceStub,
) -> None:
    request = pb.SearchPostsRequest(caller=SOMEONE, query=f"  {'w' * 200}  ")
    assert list(stub.SearchPosts(request, timeout=5).posts) == []
