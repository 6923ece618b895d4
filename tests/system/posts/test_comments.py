"""Comments and replies: who may write, read and delete them, one level of threads, and the counts."""

from __future__ import annotations

import functools
import uuid

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.system.posts.factories import ANONYMOUS, REMOVAL_REASON, PostsApi, admin, caller, fails, moderator

NOT_FOUND = grpc.StatusCode.NOT_FOUND


def delete_comment(
    stub: posts_pb2_grpc.PostsServiceStub, deleter: pb.Caller, comment: pb.Comment, reason: str = ""
) -> None:
    request = pb.DeleteCommentRequest(
        caller=deleter, post_id=comment.post_id, comment_id=comment.id, reason=reason
    )
    stub.DeleteComment(request, timeout=5)


def test_anyone_who_can_see_a_post_may_comment_and_read_the_comments(api: PostsApi) -> None:
    post = api.post()
    writer = caller()
    comment = api.comment(writer, post, body="  first!  ")
    assert (comment.post_id, comment.author_id, comment.text) == (post.id, writer.user_id, "first!")
    assert (comment.parent_id, comment.reply_count) == ("", 0)
    assert uuid.UUID(comment.id).version == 7
    assert [c.id for c in api.comments(ANONYMOUS, post)] == [comment.id]


def test_a_private_post_takes_comments_only_from_its_author(api: PostsApi) -> None:
    post = api.private_post()
    author = api.author_of(post)
    own = api.comment(author, post)
    assert [c.id for c in api.comments(author, post)] == [own.id]
    for stranger in (caller(), moderator()):
        fails(functools.partial(api.comment, stranger, post), NOT_FOUND)
    fails(lambda: api.comments(ANONYMOUS, post), NOT_FOUND)


def test_top_level_comments_come_oldest_first_with_their_reply_counts(api: PostsApi) -> None:
    post = api.post()
    first, second, third = (api.comment(caller(), post) for _ in range(3))
    api.comment(caller(), post, reply_to=second)
    api.comment(caller(), post, reply_to=second)
    listed = api.comments(ANONYMOUS, post)
    assert [(c.id, c.reply_count) for c in listed] == [(first.id, 0), (second.id, 2), (third.id, 0)]
    assert api.get(ANONYMOUS, post).comment_count == 5


def test_a_reply_to_a_reply_joins_the_top_level_thread(api: PostsApi) -> None:
    post = api.post()
    thread = api.comment(caller(), post)
    reply = api.comment(caller(), post, reply_to=thread)
    reply_to_reply = api.comment(caller(), post, reply_to=reply)
    assert reply.parent_id == reply_to_reply.parent_id == thread.id
    assert [c.id for c in api.comments(ANONYMOUS, post, parent=thread)] == [reply.id, reply_to_reply.id]
    assert api.comments(ANONYMOUS, post, parent=reply) == []
    assert [(c.id, c.reply_count) for c in api.comments(ANONYMOUS, post)] == [(thread.id, 2)]


def test_a_reply_must_answer_a_comment_of_the_same_post(api: PostsApi) -> None:
    post, elsewhere = api.post(), api.post()
    foreign = api.comment(caller(), elsewhere)
    fails(lambda: api.comment(caller(), post, reply_to=foreign), NOT_FOUND)
    fails(lambda: api.comment(caller(), post, reply_to=pb.Comment(id=str(uuid.uuid4()))), NOT_FOUND)
    fails(lambda: api.comments(caller(), post, parent=foreign), NOT_FOUND)
    assert api.get(ANONYMOUS, post).comment_count == 0


@pytest.mark.parametrize("who", ["comment author", "post author", "moderator", "admin"])
def test_who_may_delete_a_comment(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub, who: str) -> None:
    post = api.post()
    writer = caller()
    comment = api.comment(writer, post)
    deleter = {
        "comment author": writer,
        "post author": api.author_of(post),
        "moderator": moderator(),
        "admin": admin(),
    }[who]
    delete_comment(stub, deleter, comment, REMOVAL_REASON if who in ("moderator", "admin") else "")
    assert api.comments(ANONYMOUS, post) == []
    assert api.get(ANONYMOUS, post).comment_count == 0
    fails(lambda: delete_comment(stub, deleter, comment), NOT_FOUND)


def test_other_users_may_not_delete_a_comment(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub) -> None:
    post = api.post()
    comment = api.comment(caller(), post)
    fails(lambda: delete_comment(stub, caller(), comment), grpc.StatusCode.PERMISSION_DENIED)
    assert [c.id for c in api.comments(ANONYMOUS, post)] == [comment.id]


def test_a_comment_is_found_only_under_its_own_post(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post, elsewhere = api.post(), api.post()
    comment = api.comment(caller(), post)
    request = pb.DeleteCommentRequest(
        caller=api.author_of(elsewhere), post_id=elsewhere.id, comment_id=comment.id
    )
    fails(lambda: stub.DeleteComment(request, timeout=5), NOT_FOUND)
    assert api.get(ANONYMOUS, post).comment_count == 1


def test_deleting_a_top_level_comment_deletes_its_replies(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    post = api.post()
    thread, other = api.comment(caller(), post), api.comment(caller(), post)
    for _ in range(3):
        api.comment(caller(), post, reply_to=thread)
    assert api.get(ANONYMOUS, post).comment_count == 5

    delete_comment(stub, moderator(), thread, REMOVAL_REASON)
    assert [c.id for c in api.comments(ANONYMOUS, post)] == [other.id]
    assert api.get(ANONYMOUS, post).comment_count == 1
    fails(lambda: api.comments(ANONYMOUS, post, parent=thread), NOT_FOUND)


def test_deleting_a_reply_leaves_its_thread(api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub) -> None:
    post = api.post()
    writer = caller()
    thread = api.comment(caller(), post)
    doomed, kept = api.comment(writer, post, reply_to=thread), api.comment(caller(), post, reply_to=thread)
    delete_comment(stub, writer, doomed)
    assert [c.id for c in api.comments(ANONYMOUS, post, parent=thread)] == [kept.id]
    assert [(c.id, c.reply_count) for c in api.comments(ANONYMOUS, post)] == [(thread.id, 1)]
    assert api.get(ANONYMOUS, post).comment_count == 2
