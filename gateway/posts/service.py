"""Posts as the gateway serves them: the posts service's records with their authors, the defaults
that depend on the account (a private account writes for its followers), and a view counted for
each read of a post. The posts service enforces who may do what; this adds what only the gateway
knows (accounts, the reader's address)."""

from __future__ import annotations

import uuid

from gateway.clients.posts import PostsClient, VisibilityName
from gateway.posts.presenters import comment_page, comment_views, post_page, post_views
from gateway.posts.schemas import Comment, CommentPage, Post, PostPage
from gateway.users.service import Account, Accounts
from gateway.view_events import ViewPublisher
from servicekit import cursors


def service_token(list_name: str, cursor: str | None) -> str | None:
    """The posts service's page token inside ``cursor``, a cursor of the list ``list_name``."""
    return None if cursor is None else cursors.decode_for(list_name, cursor, str)


def bound_cursor(list_name: str, token: str | None) -> str | None:
    """The posts service's next page token, as a cursor of the list ``list_name``."""
    return None if token is None else cursors.encode_for(list_name, token)


class Posts:
    """The posts API's rules, for one request (the client is bound to its caller)."""

    def __init__(self, client: PostsClient, authors: Accounts, views: ViewPublisher) -> None:
        self._client = client
        self._authors = authors
        self._views = views

    async def create(
        self, author: Account, text: str, visibility: VisibilityName | None, idempotency_key: str | None
    ) -> tuple[Post, bool]:
        """The new post, and whether it replays an earlier request with the same key. Without a
        visibility, a private account's post is for its followers, anyone else's public."""
        if visibility is None:
            visibility = "followers" if author.is_private else "public"
        record, replayed = await self._client.create_post(text, visibility, idempotency_key or "")
        [post] = await post_views(self._authors, [record])
        return post, replayed

    async def read(self, post_id: uuid.UUID, reader_id: uuid.UUID | None, reader_address: str) -> Post:
        """A post, counted as a view: a read of the post itself (walls and lists are not views)."""
        record = await self._client.get_post(post_id)
        self._views.record(record.id, record.author_id, reader_id, reader_address)
        [post] = await post_views(self._authors, [record])
        return post

    async def update(self, post_id: uuid.UUID, text: str | None, visibility: VisibilityName | None) -> Post:
        [post] = await post_views(self._authors, [await self._client.update_post(post_id, text, visibility)])
        return post

    async def delete(self, post_id: uuid.UUID) -> None:
        await self._client.delete_post(post_id)

    async def like(self, post_id: uuid.UUID) -> Post:
        [post] = await post_views(self._authors, [await self._client.like(post_id)])
        return post

    async def unlike(self, post_id: uuid.UUID) -> Post | None:
        """The post after the unlike; None when the caller may no longer see it."""
        record = await self._client.unlike(post_id)
        if record is None:
            return None
        [post] = await post_views(self._authors, [record])
        return post

    async def comment(
        self, post_id: uuid.UUID, parent_id: uuid.UUID | None, text: str, idempotency_key: str | None
    ) -> tuple[Comment, bool]:
        """The new comment, and whether it replays an earlier request with the same key."""
        record, replayed = await self._client.add_comment(post_id, parent_id, text, idempotency_key or "")
        [comment] = await comment_views(self._authors, [record])
        return comment, replayed

    async def comments(
        self, post_id: uuid.UUID, parent_id: uuid.UUID | None, limit: int, cursor: str | None
    ) -> CommentPage:
        thread = cursors.list_id("comments", post_id, parent_id or "")
        page = await self._client.list_comments(post_id, parent_id, limit, service_token(thread, cursor))
        return await comment_page(self._authors, page.items, bound_cursor(thread, page.next_cursor))

    async def delete_comment(self, post_id: uuid.UUID, comment_id: uuid.UUID) -> None:
        await self._client.delete_comment(post_id, comment_id)

    async def wall(self, author_id: uuid.UUID, limit: int, cursor: str | None) -> PostPage:
        """The author's posts that the caller may see, newest first."""
        wall = cursors.list_id("wall", author_id)
        page = await self._client.list_posts(author_id, limit, service_token(wall, cursor))
        return await post_page(self._authors, page.items, bound_cursor(wall, page.next_cursor))

    async def wall_of(
        self,
        username: str,
        limit: int,
        cursor: str | None,
        *,
        as_staff: bool = False,
        viewer: uuid.UUID | None = None,
    ) -> PostPage:
        """:meth:`wall` of the account named ``username`` (a hidden account's: for staff only; one
        that blocks ``viewer``: for nobody)."""
        author = await self._authors.by_username(username, include_hidden=as_staff, viewer=viewer)
        return await self.wall(author.id, limit, cursor)

    async def liked(self, user_id: uuid.UUID, limit: int, cursor: str | None) -> PostPage:
        """Posts the user liked (that the caller may see), most recently liked first."""
        liked = cursors.list_id("likes", user_id)
        page = await self._client.list_liked_posts(user_id, limit, service_token(liked, cursor))
        return await post_page(self._authors, page.items, bound_cursor(liked, page.next_cursor))

    async def feed(self, reader_id: uuid.UUID, limit: int, cursor: str | None) -> PostPage:
        """The home feed of the caller, ``reader_id``, newest first."""
        feed = cursors.list_id("feed", reader_id)
        page = await self._client.feed(limit, service_token(feed, cursor))
        return await post_page(self._authors, page.items, bound_cursor(feed, page.next_cursor))
