"""REST endpoints for posts, comments, likes and walls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import UNSET

from gateway.auth.dependencies import SECURITY, provide_principal, provide_sessions, provide_viewer
from gateway.auth.service import Principal
from gateway.clients import PostsClient, VisibilityName
from gateway.errors import INVALID_CURSOR, Problem
from gateway.posts.dependencies import provide_posts
from gateway.posts.schemas import Comment, CommentCreate, CommentPage, Post, PostCreate, PostPage, PostUpdate
from gateway.posts.views import comment_views, post_views
from gateway.ratelimit import client_address
from gateway.users.dependencies import provide_accounts
from gateway.users.service import Accounts
from gateway.views import ViewPublisher

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page, 1–100.")]
Cursor = Annotated[
    str | None, QueryParameter(description="`next_cursor` of the previous page; omit for the first.")
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="1–200 printable ASCII characters, no spaces. Repeats with the same key within 24 h "
        "return the first post instead of making another.",
    ),
]
_CURSOR_MAX_LENGTH = 512
_CURSOR_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")

DEPENDENCIES = {
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "sessions": Provide(provide_sessions, sync_to_thread=False),
    "principal": Provide(provide_principal),
    "viewer": Provide(provide_viewer),
    "posts": Provide(provide_posts, sync_to_thread=False),
}


def checked_cursor(cursor: str | None) -> str | None:
    """Cursors are opaque, but one that could not have come from us is refused here (400)."""
    if cursor is not None and (
        not 0 < len(cursor) <= _CURSOR_MAX_LENGTH or not set(cursor) <= _CURSOR_ALPHABET
    ):
        raise Problem(INVALID_CURSOR, "Use a cursor from a previous page, unchanged.")
    return cursor


async def page_of_posts(accounts: Accounts, items: list[Any], next_cursor: str | None) -> PostPage:
    return PostPage(items=await post_views(accounts, items), next_cursor=next_cursor)


class PostsController(Controller):
    path = "/posts"
    tags = ["posts"]
    dependencies = DEPENDENCIES

    @post("/", security=SECURITY, status_code=HTTP_201_CREATED, summary="Write a post")
    async def create(
        self,
        data: JSONBody[PostCreate],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Post]:
        # A private account's posts are for its followers unless the author says otherwise.
        visibility: VisibilityName = "followers" if principal.account.is_private else "public"
        if data.visibility is not UNSET:
            visibility = data.visibility
        record, replayed = await posts.create_post(data.text, visibility, idempotency_key or "")
        [view] = await post_views(accounts, [record])
        headers = {"Location": f"/api/v1/posts/{record.id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(view, status_code=HTTP_201_CREATED, headers=headers)

    @get("/{post_id:uuid}", summary="Read a post (public posts need no token)")
    async def read(
        self,
        post_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
    ) -> Post:
        post = await posts.get_post(post_id)
        # Counted as a view: a read of the post itself (walls and lists are not views).
        views: ViewPublisher = request.app.state.views
        views.record(post.id, post.author_id, viewer.account.id if viewer else None, client_address(request))
        [view] = await post_views(accounts, [post])
        return view

    @patch("/{post_id:uuid}", security=SECURITY, summary="Edit my post")
    async def update(
        self,
        post_id: FromPath[uuid.UUID],
        data: JSONBody[PostUpdate],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
    ) -> Post:
        text = None if data.text is UNSET else data.text
        visibility = None if data.visibility is UNSET else data.visibility
        [view] = await post_views(accounts, [await posts.update_post(post_id, text, visibility)])
        return view

    @delete("/{post_id:uuid}", security=SECURITY, status_code=HTTP_204_NO_CONTENT, summary="Delete my post")
    async def remove(
        self,
        post_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
    ) -> None:
        await posts.delete_post(post_id)

    @put("/{post_id:uuid}/like", security=SECURITY, summary="Like a post (idempotent)")
    async def like(
        self,
        post_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
    ) -> Post:
        [view] = await post_views(accounts, [await posts.like(post_id)])
        return view

    @delete(
        "/{post_id:uuid}/like", security=SECURITY, status_code=200, summary="Take my like back (idempotent)"
    )
    async def unlike(
        self,
        post_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
    ) -> Post:
        [view] = await post_views(accounts, [await posts.unlike(post_id)])
        return view

    @post(
        "/{post_id:uuid}/comments",
        security=SECURITY,
        status_code=HTTP_201_CREATED,
        summary="Comment or reply",
    )
    async def comment(
        self,
        post_id: FromPath[uuid.UUID],
        data: JSONBody[CommentCreate],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
    ) -> Comment:
        [view] = await comment_views(accounts, [await posts.add_comment(post_id, data.parent_id, data.text)])
        return view

    @get("/{post_id:uuid}/comments", summary="Comments of a post, oldest first; `parent_id` lists replies")
    async def comments(
        self,
        post_id: FromPath[uuid.UUID],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        parent_id: Annotated[
            uuid.UUID | None, QueryParameter(description="List the replies to this comment.")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> CommentPage:
        page = await posts.list_comments(post_id, parent_id, limit, checked_cursor(cursor))
        return CommentPage(items=await comment_views(accounts, page.items), next_cursor=page.next_cursor)

    @delete(
        "/{post_id:uuid}/comments/{comment_id:uuid}",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete a comment (its author or the post's author)",
    )
    async def remove_comment(
        self,
        post_id: FromPath[uuid.UUID],
        comment_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
    ) -> None:
        await posts.delete_comment(post_id, comment_id)


class FeedController(Controller):
    path = "/feed"
    tags = ["feed"]
    dependencies = DEPENDENCIES

    @get(
        "/",
        security=SECURITY,
        summary="My home feed: my posts and those of everyone I follow, newest first",
        description="Keyset pages: posts published after the first page was read do not shift later "
        "pages (nothing repeats, nothing is skipped); read the first page again to see them.",
    )
    async def feed(
        self,
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        page = await posts.feed(limit, checked_cursor(cursor))
        return await page_of_posts(accounts, page.items, page.next_cursor)


class WallsController(Controller):
    """Lists of posts that belong to a user: their wall, and what they liked."""

    path = "/users"
    tags = ["posts"]
    dependencies = DEPENDENCIES

    @get("/me/posts", security=SECURITY, summary="My wall: all my posts, newest first")
    async def my_wall(
        self,
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        page = await posts.list_posts(principal.account.id, limit, checked_cursor(cursor))
        return await page_of_posts(accounts, page.items, page.next_cursor)

    @get("/me/likes", security=SECURITY, summary="Posts I liked, most recently liked first")
    async def my_likes(
        self,
        principal: NamedDependency[Principal],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        page = await posts.list_liked_posts(principal.account.id, limit, checked_cursor(cursor))
        return await page_of_posts(accounts, page.items, page.next_cursor)

    @get("/{username:str}/posts", summary="A user's wall: the posts I may see, newest first")
    async def wall(
        self,
        username: FromPath[str],
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        author = await accounts.by_username(username)
        page = await posts.list_posts(author.id, limit, checked_cursor(cursor))
        return await page_of_posts(accounts, page.items, page.next_cursor)
