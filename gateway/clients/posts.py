"""The posts service's client: posts, comments, likes, walls, the feed and search, as plain records
(``PostRecord``, ``CommentRecord``, ``Page``). Every call carries a deadline and the request id."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Literal, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from gateway.clients.channel import Call, HealthProbe, call_service
from idl.flock import wire
from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from servicekit.errors import Conflict, FlockError, Gone, NotFound

T = TypeVar("T")
Reply = TypeVar("Reply")

VisibilityName = Literal["public", "followers", "private"]
VISIBILITIES: dict[VisibilityName, pb.Visibility.ValueType] = {
    "public": pb.VISIBILITY_PUBLIC,
    "followers": pb.VISIBILITY_FOLLOWERS,
    "private": pb.VISIBILITY_PRIVATE,
}
_VISIBILITY_NAMES: dict[int, VisibilityName] = {value: name for name, value in VISIBILITIES.items()}
_ROLES = {"user": pb.ROLE_USER, "moderator": pb.ROLE_MODERATOR, "admin": pb.ROLE_ADMIN}


class PostNotFound(NotFound):
    code = wire.POST_NOT_FOUND
    title = "Post not found"


class CommentNotFound(NotFound):
    code = wire.COMMENT_NOT_FOUND
    title = "Comment not found"


class PostRemoved(Gone):
    """A moderator removed the post; told to its author only (the detail quotes the moderator's
    reason). Everyone else gets :class:`PostNotFound`."""

    code = wire.POST_REMOVED
    title = "Post removed"


class IdempotencyKeyReused(Conflict):
    code = wire.IDEMPOTENCY_KEY_REUSED
    title = "Idempotency key reused"


# The finer errors the posts service names by reason code.
REASONS: dict[str, type[FlockError]] = {
    error.code: error for error in (PostNotFound, PostRemoved, CommentNotFound, IdempotencyKeyReused)
}


# The accounts the caller follows; given ``among``, only those of them (a wall needs one relation, not
# the whole list).
FollowingLoader = Callable[[Sequence[uuid.UUID] | None], Awaitable[list[uuid.UUID]]]


async def _follows_nobody(among: Sequence[uuid.UUID] | None = None) -> list[uuid.UUID]:
    return []


@dataclasses.dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as the gateway authenticated them; ``user_id`` is None when anonymous.
    ``following`` loads the accounts they follow (approved), for the calls that need it."""

    user_id: uuid.UUID | None
    role: str = "user"
    following: FollowingLoader = _follows_nobody

    def message(self, following: list[uuid.UUID] | None = None) -> pb.Caller:
        return pb.Caller(
            user_id=str(self.user_id or ""),
            role=_ROLES.get(self.role, pb.ROLE_USER),
            following=[str(user_id) for user_id in following or ()],
        )


@dataclasses.dataclass(frozen=True, slots=True)
class PostRecord:
    id: uuid.UUID
    author_id: uuid.UUID
    text: str
    visibility: VisibilityName
    created_at: datetime.datetime
    updated_at: datetime.datetime
    like_count: int
    comment_count: int
    liked_by_caller: bool


@dataclasses.dataclass(frozen=True, slots=True)
class CommentRecord:
    id: uuid.UUID
    post_id: uuid.UUID
    author_id: uuid.UUID
    parent_id: uuid.UUID | None
    text: str
    created_at: datetime.datetime
    reply_count: int


@dataclasses.dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def _create(idempotency_key: str) -> Call:
    """A create is safe to send twice only with an idempotency key."""
    return Call.IDEMPOTENT if idempotency_key else Call.ONCE


def _time(timestamp: Timestamp) -> datetime.datetime:
    return timestamp.ToDatetime(tzinfo=datetime.UTC)


def _post(message: pb.Post) -> PostRecord:
    return PostRecord(
        id=uuid.UUID(message.id),
        author_id=uuid.UUID(message.author_id),
        text=message.text,
        visibility=_VISIBILITY_NAMES.get(message.visibility, "public"),
        created_at=_time(message.created_at),
        updated_at=_time(message.updated_at),
        like_count=message.like_count,
        comment_count=message.comment_count,
        liked_by_caller=message.liked_by_caller,
    )


def _comment(message: pb.Comment) -> CommentRecord:
    return CommentRecord(
        id=uuid.UUID(message.id),
        post_id=uuid.UUID(message.post_id),
        author_id=uuid.UUID(message.author_id),
        parent_id=uuid.UUID(message.parent_id) if message.parent_id else None,
        text=message.text,
        created_at=_time(message.created_at),
        reply_count=message.reply_count,
    )


class PostsClient:
    """The posts service, in plain records."""

    SERVICE = "posts"

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._channel = channel
        self._stub: posts_pb2_grpc.PostsServiceAsyncStub = posts_pb2_grpc.PostsServiceStub(channel)
        self._health = HealthProbe(channel, "flock.posts.v1.PostsService", timeout)
        self._timeout = timeout
        self._caller = Caller(user_id=None)
        self._request_id = ""

    async def health(self) -> str:
        """Whether the posts service serves (``ok``), for the gateway's readiness."""
        return await self._health.check()

    def for_request(self, request_id: str, caller: Caller) -> PostsClient:
        """This client, calling on behalf of ``caller`` within request ``request_id`` (one per request,
        sharing the stub)."""
        bound = copy.copy(self)
        bound._caller, bound._request_id = caller, request_id
        return bound

    async def _call(
        self,
        method: Callable[..., Awaitable[Reply]],
        request: object,
        call: Call = Call.READ,
        gone: Reply | None = None,
    ) -> Reply:
        """``method(request)``, repeated once where ``call`` allows it (see
        :func:`gateway.clients.channel.call_service`)."""
        return await call_service(
            self.SERVICE,
            self._channel,
            method,
            request,
            call=call,
            deadline=self._timeout,
            request_id=self._request_id,
            reasons=REASONS,
            gone=gone,
        )

    async def _reader(self, among: Sequence[uuid.UUID] | None = None) -> pb.Caller:
        """The caller with the accounts they follow (or those of them ``among``): for lists that may hold
        followers-only posts of others (a wall, the feed, search, likes, posts by id). The list is read
        from the graph at each call, so an unfollow counts at once."""
        if self._caller.user_id is None:
            return self._caller.message()
        return self._caller.message(await self._caller.following(among))

    async def _about_one_post(
        self,
        method: Callable[..., Awaitable[Reply]],
        request: Callable[[pb.Caller], object],
        call: Call = Call.READ,
        gone: Reply | None = None,
    ) -> Reply:
        """A call about one post, made with ``request(caller)``. Most posts are public or the caller's
        own, which needs none of their follows: ask without them first (no graph read, no list on the
        wire, however many accounts the caller follows), and only when the post is not found, ask again
        with them: it may be a followers-only post of someone they follow. A call answered NOT_FOUND
        changed nothing, so asking again is safe, for a like or a comment too."""
        try:
            return await self._call(method, request(self._caller.message()), call, gone)
        except PostNotFound:
            if self._caller.user_id is None:
                raise
            following = await self._caller.following(None)
            if not following:
                raise
            return await self._call(method, request(self._caller.message(following)), call, gone)

    async def create_post(
        self, text: str, visibility: VisibilityName, idempotency_key: str
    ) -> tuple[PostRecord, bool]:
        """The new post, and whether it was a replay of an earlier request with the same key (or of
        this one: the gateway repeats a create with a key whose answer was lost)."""
        request = pb.CreatePostRequest(
            caller=self._caller.message(),
            text=text,
            visibility=VISIBILITIES[visibility],
            idempotency_key=idempotency_key,
        )
        reply = await self._call(self._stub.CreatePost, request, _create(idempotency_key))
        return _post(reply.post), reply.replayed

    async def update_post(
        self, post_id: uuid.UUID, text: str | None, visibility: VisibilityName | None
    ) -> PostRecord:
        reply = await self._about_one_post(
            self._stub.UpdatePost,
            lambda caller: pb.UpdatePostRequest(
                caller=caller,
                post_id=str(post_id),
                text=text,
                visibility=VISIBILITIES[visibility] if visibility else pb.VISIBILITY_UNSPECIFIED,
            ),
            Call.IDEMPOTENT,  # it sets values: the same request twice sets them once
        )
        return _post(reply.post)

    async def delete_post(self, post_id: uuid.UUID, reason: str = "") -> None:
        """Delete a post; ``reason`` is required when a moderator removes someone else's (its author is
        told it)."""
        await self._about_one_post(
            self._stub.DeletePost,
            lambda caller: pb.DeletePostRequest(caller=caller, post_id=str(post_id), reason=reason),
            Call.IDEMPOTENT,
            gone=pb.DeletePostResponse(),
        )

    async def get_post(self, post_id: uuid.UUID) -> PostRecord:
        reply = await self._about_one_post(
            self._stub.GetPost, lambda caller: pb.GetPostRequest(caller=caller, post_id=str(post_id))
        )
        return _post(reply.post)

    async def get_posts(self, post_ids: list[uuid.UUID]) -> list[PostRecord]:
        """The posts of ``post_ids`` the caller may see, in that order."""
        request = pb.GetPostsRequest(caller=await self._reader(), post_ids=[str(i) for i in post_ids])
        return [_post(post) for post in (await self._call(self._stub.GetPosts, request)).posts]

    async def list_posts(self, author_id: uuid.UUID, limit: int, cursor: str | None) -> Page[PostRecord]:
        request = pb.ListPostsRequest(
            caller=await self._reader(among=[author_id]),
            author_id=str(author_id),
            page_size=limit,
            page_token=cursor or "",
        )
        reply = await self._call(self._stub.ListPosts, request)
        return Page([_post(post) for post in reply.posts], reply.next_page_token or None)

    async def list_liked_posts(self, user_id: uuid.UUID, limit: int, cursor: str | None) -> Page[PostRecord]:
        request = pb.ListLikedPostsRequest(
            caller=await self._reader(), user_id=str(user_id), page_size=limit, page_token=cursor or ""
        )
        reply = await self._call(self._stub.ListLikedPosts, request)
        return Page([_post(post) for post in reply.posts], reply.next_page_token or None)

    async def like(self, post_id: uuid.UUID) -> PostRecord:
        reply = await self._about_one_post(
            self._stub.LikePost,
            lambda caller: pb.LikePostRequest(caller=caller, post_id=str(post_id)),
            Call.IDEMPOTENT,
        )
        return _post(reply.post)

    async def unlike(self, post_id: uuid.UUID) -> PostRecord | None:
        """The post after the unlike, or None when the caller may no longer see it (their like went
        all the same). Asked with the caller's follows from the start: without them, a followers-only
        post would look out of sight and the answer would hold no post."""
        request = pb.UnlikePostRequest(caller=await self._reader(), post_id=str(post_id))
        reply = await self._call(self._stub.UnlikePost, request, Call.IDEMPOTENT)
        return _post(reply.post) if reply.HasField("post") else None

    async def add_comment(
        self, post_id: uuid.UUID, parent_id: uuid.UUID | None, text: str, idempotency_key: str
    ) -> tuple[CommentRecord, bool]:
        """The new comment, and whether it was a replay of an earlier request with the same key (or
        of this one: the gateway repeats a create with a key whose answer was lost)."""
        reply = await self._about_one_post(
            self._stub.AddComment,
            lambda caller: pb.AddCommentRequest(
                caller=caller,
                post_id=str(post_id),
                parent_id=str(parent_id or ""),
                text=text,
                idempotency_key=idempotency_key,
            ),
            _create(idempotency_key),
        )
        return _comment(reply.comment), reply.replayed

    async def list_comments(
        self, post_id: uuid.UUID, parent_id: uuid.UUID | None, limit: int, cursor: str | None
    ) -> Page[CommentRecord]:
        reply = await self._about_one_post(
            self._stub.ListComments,
            lambda caller: pb.ListCommentsRequest(
                caller=caller,
                post_id=str(post_id),
                parent_id=str(parent_id or ""),
                page_size=limit,
                page_token=cursor or "",
            ),
        )
        return Page([_comment(comment) for comment in reply.comments], reply.next_page_token or None)

    async def feed(self, limit: int, cursor: str | None) -> Page[PostRecord]:
        """The caller's home feed: their posts and those of the accounts they follow, newest first."""
        request = pb.ListFeedRequest(caller=await self._reader(), page_size=limit, page_token=cursor or "")
        reply = await self._call(self._stub.ListFeed, request)
        return Page([_post(post) for post in reply.posts], reply.next_page_token or None)

    async def search_posts(self, query: str, limit: int, cursor: str | None) -> Page[PostRecord]:
        """Posts matching ``query`` that the caller may see, best match first."""
        request = pb.SearchPostsRequest(
            caller=await self._reader(), query=query, page_size=limit, page_token=cursor or ""
        )
        reply = await self._call(self._stub.SearchPosts, request)
        return Page([_post(post) for post in reply.posts], reply.next_page_token or None)

    async def delete_comment(self, post_id: uuid.UUID, comment_id: uuid.UUID, reason: str = "") -> None:
        """Delete a comment; ``reason`` is required when a moderator removes someone else's."""
        await self._about_one_post(
            self._stub.DeleteComment,
            lambda caller: pb.DeleteCommentRequest(
                caller=caller, post_id=str(post_id), comment_id=str(comment_id), reason=reason
            ),
            Call.IDEMPOTENT,
            gone=pb.DeleteCommentResponse(),
        )

    async def get_comment(self, comment_id: uuid.UUID) -> CommentRecord:
        """One comment by id, if the caller may see its post (moderators and admins: any). Asked with
        the caller's follows from the start: the post's author is not known before the answer."""
        request = pb.GetCommentRequest(caller=await self._reader(), comment_id=str(comment_id))
        return _comment((await self._call(self._stub.GetComment, request)).comment)

    async def count_posts_by_author(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many posts each of up to 100 authors has (moderators and admins only)."""
        request = pb.CountPostsByAuthorRequest(
            caller=self._caller.message(), author_ids=[str(author_id) for author_id in ids]
        )
        reply = await self._call(self._stub.CountPostsByAuthor, request)
        return {uuid.UUID(author_id): count for author_id, count in reply.counts.items()}

    async def count_posts_since(self, since: datetime.datetime) -> int:
        """How many posts were created at or after ``since`` (moderators and admins only)."""
        moment = Timestamp()
        moment.FromDatetime(since)
        request = pb.CountPostsSinceRequest(caller=self._caller.message(), since=moment)
        return (await self._call(self._stub.CountPostsSince, request)).count
