"""Followers-only posts: seen by their author and by the callers whose following list names the author,
and by nobody else (NOT_FOUND, as if the post did not exist), in every call that reads or touches one."""

from __future__ import annotations

import functools

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.system.posts.factories import (
    ANONYMOUS,
    REMOVAL_REASON,
    PostsApi,
    admin,
    caller,
    fails,
    follower,
    moderator,
    without_following,
)

NOT_FOUND = grpc.StatusCode.NOT_FOUND


def strangers(author: pb.Caller) -> list[pb.Caller]:
    """Callers who do not follow ``author``: anyone and the anonymous, even one whose request names
    the author in its following list. (Staff read everything: see test_staff_read_followers_only_posts.)"""
    return [
        caller(),
        follower(caller()),
        ANONYMOUS,
        pb.Caller(following=[author.user_id]),
    ]


def test_a_followers_only_post_is_seen_by_its_author_and_their_followers(api: PostsApi) -> None:
    author = caller()
    post = api.followers_post(author)
    assert post.visibility == pb.VISIBILITY_FOLLOWERS
    for reader in (author, follower(author), follower(caller(), author, caller())):
        seen = api.get(reader, post)
        assert (seen.id, seen.text, seen.visibility) == (post.id, post.text, pb.VISIBILITY_FOLLOWERS)


def test_a_followers_only_post_does_not_exist_for_anyone_else(api: PostsApi) -> None:
    author = caller()
    post = api.followers_post(author)
    for reader in strangers(author):
        fails(functools.partial(api.get, reader, post), NOT_FOUND)


def test_following_an_author_does_not_reveal_their_private_posts(api: PostsApi) -> None:
    author = caller()
    post = api.private_post(author)
    fan = follower(author)
    fails(lambda: api.get(fan, post), NOT_FOUND)
    fails(lambda: api.like(fan, post), NOT_FOUND)
    fails(lambda: api.comments(fan, post), NOT_FOUND)


def test_get_posts_includes_followers_only_posts_for_followers_alone(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    public, shared, private = api.post(author), api.followers_post(author), api.private_post(author)
    asked = [private.id, shared.id, public.id]

    def got(reader: pb.Caller) -> list[str]:
        return [
            p.id for p in stub.GetPosts(pb.GetPostsRequest(caller=reader, post_ids=asked), timeout=5).posts
        ]

    assert got(author) == asked
    assert got(follower(author)) == [shared.id, public.id]
    for reader in strangers(author):
        assert got(reader) == [public.id]


def test_list_posts_shows_followers_the_followers_only_posts_too(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    public, shared, private = api.post(author), api.followers_post(author), api.private_post(author)

    def listed(reader: pb.Caller) -> list[str]:
        request = pb.ListPostsRequest(caller=reader, author_id=author.user_id)
        return [post.id for post in stub.ListPosts(request, timeout=5).posts]

    assert listed(author) == [private.id, shared.id, public.id]
    assert listed(follower(author)) == [shared.id, public.id]
    for reader in strangers(author):
        assert listed(reader) == [public.id]


def test_followers_may_comment_and_read_the_comments_others_may_not(api: PostsApi) -> None:
    author = caller()
    post = api.followers_post(author)
    fan = follower(author)
    thread = api.comment(fan, post)
    reply = api.comment(author, post, reply_to=thread)
    assert [c.id for c in api.comments(fan, post)] == [thread.id]
    assert [c.id for c in api.comments(follower(author), post, parent=thread)] == [reply.id]
    for reader in strangers(author):
        fails(functools.partial(api.comments, reader, post), NOT_FOUND)
        fails(functools.partial(api.comments, reader, post, thread), NOT_FOUND)
        if reader.user_id:
            fails(functools.partial(api.comment, reader, post), NOT_FOUND)


def test_a_follower_deletes_their_comment_only_while_following(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    post = api.followers_post(author)
    fan = follower(author)
    kept, deleted = api.comment(fan, post), api.comment(fan, post)

    def delete(deleter: pb.Caller, comment: pb.Comment) -> None:
        request = pb.DeleteCommentRequest(caller=deleter, post_id=post.id, comment_id=comment.id)
        stub.DeleteComment(request, timeout=5)

    fails(lambda: delete(without_following(fan), kept), NOT_FOUND)
    # Moderators may remove comments on posts they cannot read, giving a reason.
    fails(lambda: delete(moderator(), kept), grpc.StatusCode.INVALID_ARGUMENT, "reason")
    delete(fan, deleted)
    assert [c.id for c in api.comments(author, post)] == [kept.id]
    assert api.get(author, post).comment_count == 1


def test_followers_may_like_and_see_their_likes_while_following(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    post = api.followers_post(author)
    fan = follower(author)
    liked = api.like(fan, post)
    assert (liked.like_count, liked.liked_by_caller) == (1, True)
    assert api.get(author, post).like_count == 1
    for reader in strangers(author):
        if reader.user_id:
            fails(functools.partial(api.like, reader, post), NOT_FOUND)
            fails(functools.partial(api.unlike, reader, post), NOT_FOUND)

    def liked_posts(reader: pb.Caller) -> list[str]:
        request = pb.ListLikedPostsRequest(caller=reader, user_id=fan.user_id)
        return [p.id for p in stub.ListLikedPosts(request, timeout=5).posts]

    public = api.like(fan, api.post())
    assert liked_posts(fan) == [public.id, post.id]
    # Unfollowed: the like stays, but the post is out of sight.
    assert liked_posts(without_following(fan)) == [public.id]
    assert liked_posts(moderator()) == [public.id, post.id]  # staff read everything
    assert liked_posts(
        pb.Caller(user_id=caller().user_id, role=pb.ROLE_ADMIN, following=[author.user_id])
    ) == [
        public.id,
        post.id,
    ]
    assert api.unlike(fan, post).like_count == 0


def test_a_follower_who_lost_access_may_still_take_their_like_back(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    post = api.followers_post(author)
    fan = follower(author)
    api.like(fan, post)
    unlike = pb.UnlikePostRequest(caller=without_following(fan), post_id=post.id)

    reply = stub.UnlikePost(unlike, timeout=5)

    assert not reply.HasField("post")  # the post is out of sight: nothing of it is shown
    assert api.get(author, post).like_count == 0
    fails(lambda: stub.UnlikePost(unlike, timeout=5), NOT_FOUND)  # no like left: as for anyone else
    assert api.get(author, post).like_count == 0
    assert api.unlike(fan, post).like_count == 0  # following again, they see it, unliked


def test_the_author_turns_a_post_followers_only_and_back(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    post = api.post(author)
    fan, stranger = follower(author), caller()

    def set_visibility(visibility: pb.Visibility.ValueType) -> pb.Post:
        request = pb.UpdatePostRequest(caller=author, post_id=post.id, visibility=visibility)
        return stub.UpdatePost(request, timeout=5).post

    assert set_visibility(pb.VISIBILITY_FOLLOWERS).visibility == pb.VISIBILITY_FOLLOWERS
    assert api.get(fan, post).visibility == pb.VISIBILITY_FOLLOWERS
    fails(lambda: api.get(stranger, post), NOT_FOUND)
    set_visibility(pb.VISIBILITY_PRIVATE)
    fails(lambda: api.get(fan, post), NOT_FOUND)
    set_visibility(pb.VISIBILITY_PUBLIC)
    assert api.get(stranger, post).visibility == pb.VISIBILITY_PUBLIC


def test_followers_may_not_edit_or_delete_the_post(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    post = api.followers_post(author)
    fan = follower(author)
    edit = pb.UpdatePostRequest(caller=fan, post_id=post.id, text="mine now")
    fails(lambda: stub.UpdatePost(edit, timeout=5), grpc.StatusCode.PERMISSION_DENIED)
    fails(lambda: api.delete(fan, post), grpc.StatusCode.PERMISSION_DENIED)
    fails(lambda: api.delete(caller(), post), NOT_FOUND)
    # The service trusts the following list alone: without it, the post is out of sight.
    fails(lambda: api.delete(without_following(fan), post), NOT_FOUND)
    assert api.get(author, post).text == post.text


@pytest.mark.parametrize("remover", [moderator, admin])
def test_moderators_delete_followers_only_posts_of_authors_they_do_not_follow(
    api: PostsApi, remover: type[pb.Caller]
) -> None:
    author = caller()
    post = api.followers_post(author)
    api.delete(remover(), post, reason=REMOVAL_REASON)
    fails(lambda: api.get(author, post), NOT_FOUND)
    fails(lambda: api.get(follower(author), post), NOT_FOUND)


def test_staff_read_followers_only_posts(api: PostsApi) -> None:
    post = api.followers_post(caller())
    for staff in (moderator(), admin()):
        assert api.get(staff, post).id == post.id
