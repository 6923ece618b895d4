"""The gRPC face of the service, and nothing more: protobuf in, one call to the rules, protobuf out.

Every method goes through :data:`_rpc`, a :class:`servicekit.grpc_server.Guard`: the one place that
turns the service's errors into gRPC status codes (the stable code in trailing metadata
``flock-reason``, the offending field in ``flock-field``), an unreachable database into UNAVAILABLE,
and that refuses to start work whose deadline has already passed. Protobuf types stop here.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Set

from google.protobuf.timestamp_pb2 import Timestamp

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from posts.comments import Comments
from posts.database import is_outage
from posts.domain import (
    Caller,
    Comment,
    Post,
    Role,
    Visibility,
    parse_following,
    parse_id,
    parse_optional_id,
)
from posts.errors import InvalidArgument
from posts.feed import Feed
from posts.likes import Likes
from posts.moderation import Moderation
from posts.search import Search
from posts.service import Posts
from servicekit.grpc_server import Context, Guard

log = logging.getLogger("flock.posts")

# Less than 5 ms left on arrival: no database round trip could finish in it, so none starts.
_rpc = Guard(
    log, unavailable="The posts database is unavailable.", is_outage=is_outage, min_useful_seconds=0.005
)

_ROLES = {
    pb.ROLE_UNSPECIFIED: Role.USER,
    pb.ROLE_USER: Role.USER,
    pb.ROLE_MODERATOR: Role.MODERATOR,
    pb.ROLE_ADMIN: Role.ADMIN,
}
_VISIBILITIES = {
    pb.VISIBILITY_UNSPECIFIED: None,
    pb.VISIBILITY_PUBLIC: Visibility.PUBLIC,
    pb.VISIBILITY_FOLLOWERS: Visibility.FOLLOWERS,
    pb.VISIBILITY_PRIVATE: Visibility.PRIVATE,
}
_VISIBILITY_MESSAGES = {visibility: value for value, visibility in _VISIBILITIES.items() if visibility}


def _caller(message: pb.Caller) -> Caller:
    role = _ROLES.get(message.role)
    if role is None:
        raise InvalidArgument("caller.role", "caller.role is not a known role.")
    return Caller(
        user_id=parse_optional_id(message.user_id, "caller.user_id"),
        role=role,
        following=parse_following(message.following),
    )


def _visibility(value: pb.Visibility.ValueType) -> Visibility | None:
    if value not in _VISIBILITIES:
        raise InvalidArgument("visibility", "visibility is not a known visibility.")
    return _VISIBILITIES[value]


def _timestamp(moment: datetime.datetime) -> Timestamp:
    timestamp = Timestamp()
    timestamp.FromDatetime(moment)
    return timestamp


def _post(post: Post) -> pb.Post:
    return pb.Post(
        id=str(post.id),
        author_id=str(post.author_id),
        text=post.text,
        visibility=_VISIBILITY_MESSAGES[post.visibility],
        created_at=_timestamp(post.created_at),
        updated_at=_timestamp(post.updated_at),
        like_count=post.like_count,
        comment_count=post.comment_count,
        liked_by_caller=post.liked_by_caller,
    )


def _comment(comment: Comment) -> pb.Comment:
    return pb.Comment(
        id=str(comment.id),
        post_id=str(comment.post_id),
        author_id=str(comment.author_id),
        parent_id=str(comment.parent_id or ""),
        text=comment.text,
        created_at=_timestamp(comment.created_at),
        reply_count=comment.reply_count,
    )


class PostsServicer(posts_pb2_grpc.PostsServiceServicer):
    """``flock.posts.v1.PostsService`` over the rules in ``Posts``, ``Comments``, ``Likes``, ``Feed``,
    ``Search`` and ``Moderation``."""

    def __init__(
        self,
        posts: Posts,
        comments: Comments,
        likes: Likes,
        feed: Feed,
        search: Search,
        *,
        moderation: Moderation,
        crash_after_commit: Set[str] = frozenset(),
    ) -> None:
        self._moderation = moderation
        self._posts = posts
        self._comments = comments
        self._likes = likes
        self._feed = feed
        self._search = search
        self._crash_after_commit = crash_after_commit

    def _committed(self, operation: str) -> None:
        """The test-only fault hook (``FLOCK_POSTS_FAULT_AFTER_COMMIT``): exit with ``operation``'s
        change committed and its answer unsent, when the setting names it."""
        if operation in self._crash_after_commit:
            log.error("fault hook: exiting after committing a %s, before answering", operation)
            os._exit(1)

    @_rpc
    async def CreatePost(self, request: pb.CreatePostRequest, context: Context) -> pb.CreatePostResponse:  # noqa: N802
        created = await self._posts.create(
            _caller(request.caller),
            text=request.text,
            visibility=_visibility(request.visibility),
            idempotency_key=request.idempotency_key,
        )
        self._committed("post")
        return pb.CreatePostResponse(post=_post(created.post), replayed=created.replayed)

    @_rpc
    async def UpdatePost(self, request: pb.UpdatePostRequest, context: Context) -> pb.UpdatePostResponse:  # noqa: N802
        post = await self._posts.update(
            _caller(request.caller),
            parse_id(request.post_id, "post_id"),
            text=request.text if request.HasField("text") else None,
            visibility=_visibility(request.visibility),
        )
        return pb.UpdatePostResponse(post=_post(post))

    @_rpc
    async def DeletePost(self, request: pb.DeletePostRequest, context: Context) -> pb.DeletePostResponse:  # noqa: N802
        await self._posts.delete(
            _caller(request.caller), parse_id(request.post_id, "post_id"), reason=request.reason
        )
        return pb.DeletePostResponse()

    @_rpc
    async def GetPost(self, request: pb.GetPostRequest, context: Context) -> pb.GetPostResponse:  # noqa: N802
        post = await self._posts.get(_caller(request.caller), parse_id(request.post_id, "post_id"))
        return pb.GetPostResponse(post=_post(post))

    @_rpc
    async def GetPosts(self, request: pb.GetPostsRequest, context: Context) -> pb.GetPostsResponse:  # noqa: N802
        posts = await self._posts.get_many(
            _caller(request.caller), [parse_id(post_id, "post_ids") for post_id in request.post_ids]
        )
        return pb.GetPostsResponse(posts=[_post(post) for post in posts])

    @_rpc
    async def ListPosts(self, request: pb.ListPostsRequest, context: Context) -> pb.ListPostsResponse:  # noqa: N802
        page = await self._posts.list_by_author(
            _caller(request.caller),
            parse_id(request.author_id, "author_id"),
            size=request.page_size,
            token=request.page_token,
        )
        return pb.ListPostsResponse(
            posts=[_post(post) for post in page.items], next_page_token=page.next_page_token
        )

    @_rpc
    async def AddComment(self, request: pb.AddCommentRequest, context: Context) -> pb.AddCommentResponse:  # noqa: N802
        added = await self._comments.add(
            _caller(request.caller),
            parse_id(request.post_id, "post_id"),
            parent_id=parse_optional_id(request.parent_id, "parent_id"),
            text=request.text,
            idempotency_key=request.idempotency_key,
        )
        self._committed("comment")
        return pb.AddCommentResponse(comment=_comment(added.comment), replayed=added.replayed)

    @_rpc
    async def ListComments(  # noqa: N802
        self, request: pb.ListCommentsRequest, context: Context
    ) -> pb.ListCommentsResponse:
        page = await self._comments.list(
            _caller(request.caller),
            parse_id(request.post_id, "post_id"),
            parent_id=parse_optional_id(request.parent_id, "parent_id"),
            size=request.page_size,
            token=request.page_token,
        )
        return pb.ListCommentsResponse(
            comments=[_comment(comment) for comment in page.items], next_page_token=page.next_page_token
        )

    @_rpc
    async def DeleteComment(  # noqa: N802
        self, request: pb.DeleteCommentRequest, context: Context
    ) -> pb.DeleteCommentResponse:
        await self._comments.delete(
            _caller(request.caller),
            parse_id(request.post_id, "post_id"),
            parse_id(request.comment_id, "comment_id"),
            reason=request.reason,
        )
        return pb.DeleteCommentResponse()

    @_rpc
    async def GetComment(self, request: pb.GetCommentRequest, context: Context) -> pb.GetCommentResponse:  # noqa: N802
        comment = await self._moderation.get_comment(
            _caller(request.caller), parse_id(request.comment_id, "comment_id")
        )
        return pb.GetCommentResponse(comment=_comment(comment))

    @_rpc
    async def LikePost(self, request: pb.LikePostRequest, context: Context) -> pb.LikePostResponse:  # noqa: N802
        caller, post_id = _caller(request.caller), parse_id(request.post_id, "post_id")
        # A post's author is told it was removed by every call about it; Likes leaves that to Moderation.
        async with self._moderation.told_if_removed(caller, post_id):
            post = await self._likes.like(caller, post_id)
        self._committed("like")
        return pb.LikePostResponse(post=_post(post))

    @_rpc
    async def UnlikePost(self, request: pb.UnlikePostRequest, context: Context) -> pb.UnlikePostResponse:  # noqa: N802
        post = await self._likes.unlike(_caller(request.caller), parse_id(request.post_id, "post_id"))
        # No post when the caller may no longer see it: their like went all the same.
        return pb.UnlikePostResponse(post=_post(post)) if post else pb.UnlikePostResponse()

    @_rpc
    async def ListLikedPosts(  # noqa: N802
        self, request: pb.ListLikedPostsRequest, context: Context
    ) -> pb.ListLikedPostsResponse:
        page = await self._likes.liked_by(
            _caller(request.caller),
            parse_id(request.user_id, "user_id"),
            size=request.page_size,
            token=request.page_token,
        )
        return pb.ListLikedPostsResponse(
            posts=[_post(post) for post in page.items], next_page_token=page.next_page_token
        )

    @_rpc
    async def ListFeed(self, request: pb.ListFeedRequest, context: Context) -> pb.ListFeedResponse:  # noqa: N802
        page = await self._feed.page(
            _caller(request.caller), size=request.page_size, token=request.page_token
        )
        return pb.ListFeedResponse(
            posts=[_post(post) for post in page.items], next_page_token=page.next_page_token
        )

    @_rpc
    async def SearchPosts(  # noqa: N802
        self, request: pb.SearchPostsRequest, context: Context
    ) -> pb.SearchPostsResponse:
        page = await self._search.posts(
            _caller(request.caller), request.query, size=request.page_size, token=request.page_token
        )
        return pb.SearchPostsResponse(
            posts=[_post(post) for post in page.items], next_page_token=page.next_page_token
        )

    @_rpc
    async def CountPostsByAuthor(  # noqa: N802
        self, request: pb.CountPostsByAuthorRequest, context: Context
    ) -> pb.CountPostsByAuthorResponse:
        counts = await self._moderation.count_posts_by_author(
            _caller(request.caller), [parse_id(author_id, "author_ids") for author_id in request.author_ids]
        )
        return pb.CountPostsByAuthorResponse(counts={str(author): count for author, count in counts.items()})

    @_rpc
    async def CountPostsSince(  # noqa: N802
        self, request: pb.CountPostsSinceRequest, context: Context
    ) -> pb.CountPostsSinceResponse:
        if not request.HasField("since"):
            raise InvalidArgument("since", "since is required.")
        count = await self._moderation.count_posts_since(
            _caller(request.caller), request.since.ToDatetime(tzinfo=datetime.UTC)
        )
        return pb.CountPostsSinceResponse(count=count)
