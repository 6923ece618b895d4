"""Likes: one per user and post whatever the concurrency, idempotent both ways, and listed by user."""

from __future__ import annotations

import uuid

import grpc

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.conftest import sql
from tests.system.posts.factories import ANONYMOUS, PostsApi, admin, caller, fails, moderator


def liked_posts(stub: posts_pb2_grpc.PostsServiceStub, reader: pb.Caller, user: pb.Caller) -> list[str]:
    request = pb.ListLikedPostsRequest(caller=reader, user_id=user.user_id, page_size=100)
    return [post.id for post in stub.ListLikedPosts(request, timeout=5).posts]


def like_rows(db_url: str, post: pb.Post) -> int:
    rows = sql(db_url, "SELECT count(*) AS n FROM likes WHERE post_id = $1", uuid.UUID(post.id))
    return int(rows[0]["n"])


def test_liking_twice_leaves_one_like_and_unliking_twice_none(api: PostsApi, db_url: str) -> None:
    post, fan = api.post(), caller()
    for _ in range(2):
        liked = api.like(fan, post)
        assert (liked.like_count, liked.liked_by_caller) == (1, True)
    assert like_rows(db_url, post) == 1
    for _ in range(2):
        unliked = api.unlike(fan, post)
        assert (unliked.like_count, unliked.liked_by_caller) == (0, False)
    assert like_rows(db_url, post) == 0


def test_100_concurrent_likes_by_one_user_leave_exactly_one_like(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    post, fan = api.post(), caller()
    request = pb.LikePostRequest(caller=fan, post_id=post.id)
    calls = [stub.LikePost.future(request, timeout=30) for _ in range(100)]  # all in flight at once
    replies = [call.result() for call in calls]
    assert {(reply.post.like_count, reply.post.liked_by_caller) for reply in replies} == {(1, True)}
    assert like_rows(db_url, post) == 1
    assert api.get(ANONYMOUS, post).like_count == 1


def test_concurrent_likes_by_many_users_are_all_counted(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    post = api.post()
    calls = [
        stub.LikePost.future(pb.LikePostRequest(caller=caller(), post_id=post.id), timeout=30)
        for _ in range(50)
    ]
    counts = sorted(call.result().post.like_count for call in calls)
    assert counts == list(range(1, 51))  # each like saw its own increment
    assert api.get(ANONYMOUS, post).like_count == like_rows(db_url, post) == 50


def test_a_post_one_cannot_see_cannot_be_liked(api: PostsApi) -> None:
    post = api.private_post()
    fails(lambda: api.like(caller(), post), grpc.StatusCode.NOT_FOUND)
    fails(lambda: api.unlike(caller(), post), grpc.StatusCode.NOT_FOUND)
    assert api.like(api.author_of(post), post).like_count == 1


def test_liked_posts_come_most_recently_liked_first(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    fan = caller()
    first, second, third = api.post(), api.post(), api.post()
    for post in (first, second, third, first):  # liking again does not move a post
        api.like(fan, post)
    assert liked_posts(stub, fan, fan) == [third.id, second.id, first.id]
    api.unlike(fan, second)
    api.like(fan, second)  # a new like: now the most recent
    assert liked_posts(stub, fan, fan) == [second.id, third.id, first.id]


def test_liked_posts_are_for_their_user_moderators_and_admins(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    fan, post = caller(), api.post()
    api.like(fan, post)
    assert liked_posts(stub, moderator(), fan) == liked_posts(stub, admin(), fan) == [post.id]
    request = pb.ListLikedPostsRequest(caller=caller(), user_id=fan.user_id)
    fails(lambda: stub.ListLikedPosts(request, timeout=5), grpc.StatusCode.PERMISSION_DENIED)


def test_liked_posts_leave_out_posts_that_became_private(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    fan = caller()
    kept, hidden = api.post(), api.post()
    own_private = api.private_post(fan)
    for post in (kept, hidden, own_private):
        api.like(fan, post)
    stub.UpdatePost(
        pb.UpdatePostRequest(
            caller=api.author_of(hidden), post_id=hidden.id, visibility=pb.VISIBILITY_PRIVATE
        ),
        timeout=5,
    )
    assert liked_posts(stub, fan, fan) == [own_private.id, kept.id]
    # Staff read everything, private posts included.
    assert liked_posts(stub, moderator(), fan) == [own_private.id, hidden.id, kept.id]
    request = pb.ListLikedPostsRequest(caller=moderator(), user_id=fan.user_id)
    assert [post.liked_by_caller for post in stub.ListLikedPosts(request, timeout=5).posts] == [False] * 3


def test_a_like_is_taken_back_from_a_post_made_private_with_its_event(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, db_url: str
) -> None:
    fan, post = caller(), api.post()
    author = api.author_of(post)
    api.like(fan, post)
    stub.UpdatePost(
        pb.UpdatePostRequest(caller=author, post_id=post.id, visibility=pb.VISIBILITY_PRIVATE), timeout=5
    )

    reply = stub.UnlikePost(pb.UnlikePostRequest(caller=fan, post_id=post.id), timeout=5)

    assert not reply.HasField("post")  # nothing of a post the fan may no longer see
    assert like_rows(db_url, post) == 0
    assert api.get(author, post).like_count == 0
    events = sql(
        db_url, "SELECT event_type FROM outbox WHERE key = $1 AND event_type LIKE 'post_%like%'", post.id
    )
    assert sorted(row["event_type"] for row in events) == ["post_liked", "post_unliked"]
    fails(lambda: api.unlike(fan, post), grpc.StatusCode.NOT_FOUND)  # nothing left to take back
