"""Moderation in the posts service: removals need a reason and are told to the post's author alone,
moderators remove comments anywhere, comments are read by id, and only staff count posts."""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.conftest import sql
from tests.system.posts.factories import (
    ANONYMOUS,
    REASON,
    REMOVAL_REASON,
    PostsApi,
    admin,
    caller,
    fails,
    follower,
    moderator,
)

NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED

Stub = posts_pb2_grpc.PostsServiceStub


def reason_of(error: grpc.RpcError) -> str:
    """The stable code in the trailing metadata ``flock-reason``."""
    [reason] = [str(item.value) for item in error.trailing_metadata() or () if item.key == REASON]
    return reason


def delete_comment(stub: Stub, deleter: pb.Caller, comment: pb.Comment, reason: str = "") -> None:
    request = pb.DeleteCommentRequest(
        caller=deleter, post_id=comment.post_id, comment_id=comment.id, reason=reason
    )
    stub.DeleteComment(request, timeout=5)


def get_comment(stub: Stub, reader: pb.Caller, comment_id: str) -> pb.Comment:
    return stub.GetComment(pb.GetCommentRequest(caller=reader, comment_id=comment_id), timeout=5).comment


def counts_by_author(stub: Stub, asker: pb.Caller, author_ids: list[str]) -> dict[str, int]:
    request = pb.CountPostsByAuthorRequest(caller=asker, author_ids=author_ids)
    return dict(stub.CountPostsByAuthor(request, timeout=5).counts)


def count_since(stub: Stub, asker: pb.Caller, since: Timestamp | None) -> int:
    return stub.CountPostsSince(pb.CountPostsSinceRequest(caller=asker, since=since), timeout=5).count


def _calls_about(stub: Stub, post_id: str) -> dict[str, Callable[[pb.Caller], object]]:
    """Every call about one post that its author might make after it was removed."""
    return {
        "GetPost": lambda who: stub.GetPost(pb.GetPostRequest(caller=who, post_id=post_id), timeout=5),
        "UpdatePost": lambda who: stub.UpdatePost(
            pb.UpdatePostRequest(caller=who, post_id=post_id, text="let me fix it"), timeout=5
        ),
        "DeletePost": lambda who: stub.DeletePost(
            pb.DeletePostRequest(caller=who, post_id=post_id), timeout=5
        ),
        "LikePost": lambda who: stub.LikePost(pb.LikePostRequest(caller=who, post_id=post_id), timeout=5),
        "AddComment": lambda who: stub.AddComment(
            pb.AddCommentRequest(caller=who, post_id=post_id, text="why?"), timeout=5
        ),
    }


@pytest.mark.parametrize("remover", [moderator, admin])
@pytest.mark.parametrize("reason", ["", "   ", "x" * 501, "bad\x00reason"])
def test_removing_someone_elses_post_needs_a_reason_of_1_to_500_characters(
    api: PostsApi, remover: Callable[[], pb.Caller], reason: str
) -> None:
    post = api.post()
    fails(lambda: api.delete(remover(), post, reason=reason), INVALID, "reason")
    assert api.get(ANONYMOUS, post).id == post.id


def test_a_moderator_deletes_their_own_post_without_a_reason(api: PostsApi, db_url: str) -> None:
    mod = moderator()
    post = api.post(mod)
    api.delete(mod, post)
    fails(lambda: api.get(mod, post), NOT_FOUND)
    removals = sql(
        db_url, "SELECT count(*) AS n FROM moderation_removals WHERE post_id = $1", uuid.UUID(post.id)
    )
    assert removals == [{"n": 0}]


def test_a_removal_is_recorded_with_the_moderator_and_the_reason(api: PostsApi, db_url: str) -> None:
    post = api.private_post()
    mod = moderator()
    api.delete(mod, post, reason=f"  {REMOVAL_REASON}  ")
    rows = sql(
        db_url,
        "SELECT author_id, removed_by, reason FROM moderation_removals WHERE post_id = $1",
        uuid.UUID(post.id),
    )
    assert rows == [
        {
            "author_id": uuid.UUID(post.author_id),
            "removed_by": uuid.UUID(mod.user_id),
            "reason": REMOVAL_REASON,
        }
    ]


@pytest.mark.parametrize("rpc", ["GetPost", "UpdatePost", "DeletePost", "LikePost", "AddComment"])
def test_the_author_of_a_removed_post_is_told_it_was_removed_and_why(
    api: PostsApi, stub: Stub, rpc: str
) -> None:
    post = api.post()
    api.delete(moderator(), post, reason=REMOVAL_REASON)
    call = _calls_about(stub, post.id)[rpc]
    error = fails(functools.partial(call, api.author_of(post)), NOT_FOUND)
    assert reason_of(error) == "post_removed"
    assert REMOVAL_REASON in (error.details() or "")


@pytest.mark.parametrize("rpc", ["GetPost", "UpdatePost", "DeletePost", "LikePost", "AddComment"])
def test_everyone_else_finds_no_removed_post(api: PostsApi, stub: Stub, rpc: str) -> None:
    author = caller()
    post = api.post(author)
    api.delete(admin(), post, reason=REMOVAL_REASON)
    call = _calls_about(stub, post.id)[rpc]
    for other in (caller(), follower(author)):
        error = fails(functools.partial(call, other), NOT_FOUND)
        assert reason_of(error) == "post_not_found"
        assert REMOVAL_REASON not in (error.details() or "")


def test_an_anonymous_reader_finds_no_removed_post(api: PostsApi) -> None:
    post = api.post()
    api.delete(moderator(), post, reason=REMOVAL_REASON)
    assert reason_of(fails(lambda: api.get(ANONYMOUS, post), NOT_FOUND)) == "post_not_found"


def test_removing_a_removed_post_again_is_done_already(api: PostsApi, db_url: str) -> None:
    post = api.post()
    first = moderator()
    api.delete(first, post, reason=REMOVAL_REASON)
    api.delete(first, post, reason=REMOVAL_REASON)
    api.delete(admin(), post)  # no reason needed: there is nothing left to remove
    rows = sql(db_url, "SELECT removed_by FROM moderation_removals WHERE post_id = $1", uuid.UUID(post.id))
    assert rows == [{"removed_by": uuid.UUID(first.user_id)}]


def test_a_post_its_author_deleted_is_just_not_found(api: PostsApi) -> None:
    post = api.post()
    api.delete(api.author_of(post), post)
    error = fails(lambda: api.get(api.author_of(post), post), NOT_FOUND)
    assert reason_of(error) == "post_not_found"
    assert reason_of(fails(lambda: api.delete(moderator(), post), NOT_FOUND)) == "post_not_found"


def test_a_moderator_removes_a_comment_on_a_private_post_with_a_reason(api: PostsApi, stub: Stub) -> None:
    post = api.private_post()
    author = api.author_of(post)
    comment = api.comment(author, post)
    fails(lambda: delete_comment(stub, caller(), comment, REMOVAL_REASON), NOT_FOUND)
    mod = moderator()
    fails(lambda: delete_comment(stub, mod, comment), INVALID, "reason")
    assert [c.id for c in api.comments(author, post)] == [comment.id]
    delete_comment(stub, mod, comment, REMOVAL_REASON)
    assert api.comments(author, post) == []
    assert api.get(author, post).comment_count == 0


def test_a_moderator_deletes_comments_on_their_own_post_without_a_reason(api: PostsApi, stub: Stub) -> None:
    mod = moderator()
    post = api.post(mod)
    comment = api.comment(caller(), post)
    delete_comment(stub, mod, comment)
    assert api.comments(mod, post) == []


def test_get_comment_shows_a_comment_to_whoever_may_see_its_post(api: PostsApi, stub: Stub) -> None:
    author = caller()
    public, circle, private = api.post(author), api.followers_post(author), api.private_post(author)
    thread = api.comment(caller(), public, body="on a public post")
    reply = api.comment(author, public, reply_to=thread)
    found = get_comment(stub, ANONYMOUS, reply.id)
    assert (found.id, found.post_id, found.parent_id, found.text) == (
        reply.id,
        public.id,
        thread.id,
        reply.text,
    )
    assert get_comment(stub, ANONYMOUS, thread.id).reply_count == 1

    on_circle, on_private = api.comment(author, circle), api.comment(author, private)
    assert get_comment(stub, follower(author), on_circle.id).id == on_circle.id
    assert get_comment(stub, author, on_private.id).id == on_private.id
    for staff in (moderator(), admin()):
        assert get_comment(stub, staff, on_private.id).id == on_private.id
        assert get_comment(stub, staff, on_circle.id).id == on_circle.id
    for stranger in (ANONYMOUS, caller()):
        for hidden in (on_circle, on_private):
            error = fails(functools.partial(get_comment, stub, stranger, hidden.id), NOT_FOUND)
            assert reason_of(error) == "comment_not_found"


def test_get_comment_of_an_unknown_or_malformed_id(stub: Stub) -> None:
    error = fails(lambda: get_comment(stub, moderator(), str(uuid.uuid4())), NOT_FOUND)
    assert reason_of(error) == "comment_not_found"
    fails(lambda: get_comment(stub, moderator(), "not-an-id"), INVALID, "comment_id")
    fails(lambda: get_comment(stub, moderator(), ""), INVALID, "comment_id")


def test_counts_by_author_are_every_post_of_each_author(api: PostsApi) -> None:
    busy, quiet, silent = caller(), caller(), caller()
    api.post(busy)
    api.private_post(busy)
    api.followers_post(busy)
    gone = api.post(busy)
    api.delete(busy, gone)
    api.post(quiet)
    ids = [busy.user_id, quiet.user_id, silent.user_id, busy.user_id]
    expected = {busy.user_id: 3, quiet.user_id: 1, silent.user_id: 0}
    assert counts_by_author(api.stub, moderator(), ids) == expected
    assert counts_by_author(api.stub, admin(), ids) == expected
    assert counts_by_author(api.stub, moderator(), []) == {}


def test_counts_are_for_staff_only(stub: Stub) -> None:
    someone = caller()
    since = Timestamp(seconds=0)
    fails(lambda: counts_by_author(stub, someone, [someone.user_id]), DENIED)
    fails(lambda: count_since(stub, someone, since), DENIED)
    fails(lambda: counts_by_author(stub, ANONYMOUS, [someone.user_id]), grpc.StatusCode.UNAUTHENTICATED)
    fails(lambda: count_since(stub, ANONYMOUS, since), grpc.StatusCode.UNAUTHENTICATED)


def test_counts_by_author_take_up_to_100_valid_ids(stub: Stub) -> None:
    fails(
        lambda: counts_by_author(stub, moderator(), [str(uuid.uuid4()) for _ in range(101)]),
        INVALID,
        "author_ids",
    )
    fails(lambda: counts_by_author(stub, moderator(), ["nope"]), INVALID, "author_ids")
    assert set(counts_by_author(stub, moderator(), [str(uuid.uuid4()) for _ in range(100)]).values()) == {0}


def test_count_since_counts_the_posts_created_at_or_after_the_instant(api: PostsApi, stub: Stub) -> None:
    first = api.post()
    api.private_post()
    second = api.post()
    api.delete(api.author_of(second), second)  # deleted posts are not counted
    assert count_since(stub, moderator(), first.created_at) == 2
    later = Timestamp()
    later.FromDatetime(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=1))
    assert count_since(stub, admin(), later) == 0
    fails(lambda: count_since(stub, moderator(), None), INVALID, "since")
