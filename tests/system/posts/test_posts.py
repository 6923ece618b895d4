"""Posts: creating, reading, editing and deleting, and who may do which."""

from __future__ import annotations

import functools
import uuid

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.conftest import sql
from tests.system.posts.factories import ANONYMOUS, REMOVAL_REASON, PostsApi, admin, caller, fails, moderator

NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED


def test_a_new_post_is_trimmed_public_by_default_and_has_a_uuid7_id(
    stub: posts_pb2_grpc.PostsServiceStub,
) -> None:
    author = caller()
    reply = stub.CreatePost(pb.CreatePostRequest(caller=author, text="  hello, flock \n"), timeout=5)
    post = reply.post
    assert not reply.replayed
    assert (post.author_id, post.text, post.visibility) == (
        author.user_id,
        "hello, flock",
        pb.VISIBILITY_PUBLIC,
    )
    assert uuid.UUID(post.id).version == 7
    assert post.created_at == post.updated_at
    assert (post.like_count, post.comment_count, post.liked_by_caller) == (0, 0, False)


def test_post_ids_sort_by_creation_time(api: PostsApi) -> None:
    author = caller()
    ids = [api.post(author).id for _ in range(5)]
    assert ids == sorted(ids)


def test_a_public_post_is_visible_to_everyone_including_anonymous_callers(api: PostsApi) -> None:
    post = api.post()
    for reader in (ANONYMOUS, caller(), moderator(), api.author_of(post)):
        assert api.get(reader, post).text == post.text


def test_a_private_post_exists_only_for_its_author(api: PostsApi) -> None:
    post = api.private_post()
    assert api.get(api.author_of(post), post).visibility == pb.VISIBILITY_PRIVATE
    for reader in (ANONYMOUS, caller()):
        fails(functools.partial(api.get, reader, post), NOT_FOUND)
    for staff in (moderator(), admin()):  # staff read everything
        assert api.get(staff, post).id == post.id


def test_an_unknown_post_is_not_found(api: PostsApi) -> None:
    ghost = pb.Post(id=str(uuid.uuid4()))
    fails(lambda: api.get(caller(), ghost), NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("CreatePost", pb.CreatePostRequest(text="hi")),
        ("UpdatePost", pb.UpdatePostRequest(post_id=str(uuid.uuid4()), text="hi")),
        ("DeletePost", pb.DeletePostRequest(post_id=str(uuid.uuid4()))),
        ("AddComment", pb.AddCommentRequest(post_id=str(uuid.uuid4()), text="hi")),
        ("DeleteComment", pb.DeleteCommentRequest(post_id=str(uuid.uuid4()), comment_id=str(uuid.uuid4()))),
        ("LikePost", pb.LikePostRequest(post_id=str(uuid.uuid4()))),
        ("UnlikePost", pb.UnlikePostRequest(post_id=str(uuid.uuid4()))),
        ("ListLikedPosts", pb.ListLikedPostsRequest(user_id=str(uuid.uuid4()))),
        ("ListFeed", pb.ListFeedRequest()),
        ("ListFeed", pb.ListFeedRequest(caller=pb.Caller(following=[str(uuid.uuid4())]))),
    ],
)
def test_writes_like_lists_and_feeds_need_a_caller(
    stub: posts_pb2_grpc.PostsServiceStub, method: str, request_: object
) -> None:
    fails(lambda: getattr(stub, method)(request_, timeout=5), grpc.StatusCode.UNAUTHENTICATED)


def test_the_author_changes_text_and_visibility_separately(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post = api.post()
    author = api.author_of(post)
    edited = stub.UpdatePost(
        pb.UpdatePostRequest(caller=author, post_id=post.id, text=" edited "), timeout=5
    ).post
    assert (edited.text, edited.visibility) == ("edited", pb.VISIBILITY_PUBLIC)
    assert edited.created_at == post.created_at
    assert edited.updated_at.ToDatetime() > post.updated_at.ToDatetime()

    hidden = stub.UpdatePost(
        pb.UpdatePostRequest(caller=author, post_id=post.id, visibility=pb.VISIBILITY_PRIVATE), timeout=5
    ).post
    assert (hidden.text, hidden.visibility) == ("edited", pb.VISIBILITY_PRIVATE)
    fails(lambda: api.get(ANONYMOUS, post), NOT_FOUND)


def test_an_edit_that_changes_nothing_keeps_updated_at(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post = api.post()
    request = pb.UpdatePostRequest(
        caller=api.author_of(post), post_id=post.id, text=post.text, visibility=pb.VISIBILITY_PUBLIC
    )
    assert stub.UpdatePost(request, timeout=5).post.updated_at == post.updated_at


@pytest.mark.parametrize("editor", [caller, moderator, admin])
def test_only_the_author_may_edit_a_post(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, editor: type[pb.Caller]
) -> None:
    post = api.post()
    request = pb.UpdatePostRequest(caller=editor(), post_id=post.id, text="mine now")
    fails(lambda: stub.UpdatePost(request, timeout=5), DENIED)
    assert api.get(ANONYMOUS, post).text == post.text


def test_editing_someone_elses_private_post_is_not_found_rather_than_denied(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post = api.private_post()
    request = pb.UpdatePostRequest(caller=caller(), post_id=post.id, text="probe")
    fails(lambda: stub.UpdatePost(request, timeout=5), NOT_FOUND)


@pytest.mark.parametrize("who", ["author", "moderator", "admin"])
def test_the_author_a_moderator_or_an_admin_may_delete_a_post(api: PostsApi, who: str) -> None:
    post = api.post()
    deleter = {"author": api.author_of(post), "moderator": moderator(), "admin": admin()}[who]
    reason = "" if who == "author" else REMOVAL_REASON
    api.delete(deleter, post, reason=reason)
    fails(lambda: api.get(api.author_of(post), post), NOT_FOUND)
    if who == "author":
        fails(lambda: api.delete(deleter, post), NOT_FOUND)
    else:  # a removal sent again is done already
        api.delete(deleter, post, reason=reason)


def test_another_user_may_not_delete_a_post(api: PostsApi) -> None:
    post = api.post()
    fails(lambda: api.delete(caller(), post), DENIED)
    assert api.get(ANONYMOUS, post).id == post.id


@pytest.mark.parametrize("visibility", [pb.VISIBILITY_PRIVATE, pb.VISIBILITY_FOLLOWERS])
@pytest.mark.parametrize("remover", [moderator, admin])
def test_moderators_may_delete_posts_members_cannot_read(
    api: PostsApi, db_url: str, visibility: pb.Visibility.ValueType, remover: type[pb.Caller]
) -> None:
    post = api.post(visibility=visibility)
    api.comment(api.author_of(post), post)
    deleter = remover()
    assert api.get(deleter, post).id == post.id  # staff read it
    api.delete(deleter, post, reason=REMOVAL_REASON)
    fails(lambda: api.get(api.author_of(post), post), NOT_FOUND)
    assert sql(db_url, "SELECT count(*) AS n FROM comments WHERE post_id = $1", uuid.UUID(post.id)) == [
        {"n": 0}
    ]


def test_other_users_cannot_delete_what_they_cannot_see(api: PostsApi) -> None:
    post = api.private_post()
    fails(lambda: api.delete(caller(), post), NOT_FOUND)
    assert api.get(api.author_of(post), post).id == post.id


def test_a_deleted_post_takes_its_comments_and_likes_with_it(api: PostsApi, db_url: str) -> None:
    post = api.post()
    reader = caller()
    thread = api.comment(reader, post)
    api.comment(caller(), post, reply_to=thread)
    api.like(reader, post)
    api.delete(api.author_of(post), post)

    post_id = uuid.UUID(post.id)
    assert sql(db_url, "SELECT count(*) AS n FROM comments WHERE post_id = $1", post_id) == [{"n": 0}]
    assert sql(db_url, "SELECT count(*) AS n FROM likes WHERE post_id = $1", post_id) == [{"n": 0}]
    fails(lambda: api.like(reader, post), NOT_FOUND)
    fails(lambda: api.comment(reader, post), NOT_FOUND)
    fails(lambda: api.comments(reader, post), NOT_FOUND)


def test_counts_and_liked_by_caller_follow_the_reader(api: PostsApi) -> None:
    post = api.post()
    fan, other = caller(), caller()
    api.like(fan, post)
    api.like(other, post)
    thread = api.comment(fan, post)
    api.comment(other, post, reply_to=thread)
    api.comment(other, post)

    assert (api.get(fan, post).like_count, api.get(fan, post).comment_count) == (2, 3)
    assert api.get(fan, post).liked_by_caller
    assert not api.get(caller(), post).liked_by_caller
    assert not api.get(ANONYMOUS, post).liked_by_caller


def test_get_posts_keeps_the_order_asked_and_leaves_out_what_the_caller_cannot_see(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    reader = caller()
    first, second = api.post(), api.post()
    hidden, deleted = api.private_post(), api.post()
    api.delete(api.author_of(deleted), deleted)
    api.like(reader, first)
    asked = [second.id, hidden.id, str(uuid.uuid4()), deleted.id, first.id]

    posts = stub.GetPosts(pb.GetPostsRequest(caller=reader, post_ids=asked), timeout=5).posts
    assert [(post.id, post.liked_by_caller, post.like_count) for post in posts] == [
        (second.id, False, 0),
        (first.id, True, 1),
    ]
    mine = stub.GetPosts(pb.GetPostsRequest(caller=api.author_of(hidden), post_ids=asked), timeout=5).posts
    assert [post.id for post in mine] == [second.id, hidden.id, first.id]
    assert not stub.GetPosts(pb.GetPostsRequest(caller=ANONYMOUS), timeout=5).posts


def test_get_posts_takes_at_most_100_ids(stub: posts_pb2_grpc.PostsServiceStub) -> None:
    ids = [str(uuid.uuid4()) for _ in range(100)]
    assert not stub.GetPosts(pb.GetPostsRequest(post_ids=ids), timeout=5).posts
    request = pb.GetPostsRequest(post_ids=[*ids, str(uuid.uuid4())])
    fails(lambda: stub.GetPosts(request, timeout=5), grpc.StatusCode.INVALID_ARGUMENT, "post_ids")


def test_list_posts_shows_the_author_everything_and_others_the_public_posts_newest_first(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    author = caller()
    public, private, newest = api.post(author), api.private_post(author), api.post(author)
    api.post()  # someone else's

    def listed(reader: pb.Caller) -> list[str]:
        request = pb.ListPostsRequest(caller=reader, author_id=author.user_id)
        reply = stub.ListPosts(request, timeout=5)
        assert reply.next_page_token == ""
        return [post.id for post in reply.posts]

    assert listed(author) == [newest.id, private.id, public.id]
    assert listed(caller()) == listed(ANONYMOUS) == [newest.id, public.id]
    assert listed(moderator()) == [newest.id, private.id, public.id]  # staff read everything
