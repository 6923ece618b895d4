"""REST endpoints for posts, comments, likes, walls and the home feed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, cast

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import UNSET

from gateway.account_mail.guards import verified_email
from gateway.auth.service import Principal, block_viewer
from gateway.clients.posts import PostsClient
from gateway.http.contract import problems
from gateway.http.guards import SECURITY, not_suspended, signed_in
from gateway.http.parameters import Cursor, IdempotencyKey, Limit, Username
from gateway.http.ratelimit import client_address
from gateway.posts.schemas import Comment, CommentCreate, CommentPage, Post, PostCreate, PostPage, PostUpdate
from gateway.posts.service import Posts
from gateway.users.service import Accounts
from gateway.view_events import ViewPublisher


def provide_posts(
    posts_client: NamedDependency[PostsClient],
    accounts: NamedDependency[Accounts],
    views: NamedDependency[ViewPublisher],
) -> Posts:
    return Posts(posts_client, accounts, views)


DEPENDENCIES = {"posts": Provide(provide_posts, sync_to_thread=False)}


def _replayed(replayed: bool) -> dict[str, str]:
    """The header that says an answer is the first one of an earlier request with the same key."""
    return {"Idempotent-Replayed": "true"} if replayed else {}


ParentId = Annotated[uuid.UUID | None, QueryParameter(description="List the replies to this comment.")]


class PostsController(Controller):
    path = "/posts"
    tags = ["posts"]
    dependencies = DEPENDENCIES

    @post(
        "/",
        guards=[not_suspended, verified_email],
        security=SECURITY,
        status_code=HTTP_201_CREATED,
        responses=problems(409),
        summary="Write a post",
    )
    async def create(
        self,
        data: JSONBody[PostCreate],
        principal: NamedDependency[Principal],
        posts: NamedDependency[Posts],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Post]:
        visibility = None if data.visibility is UNSET else data.visibility
        view, replayed = await posts.create(principal.account, data.text, visibility, idempotency_key)
        headers = {"Location": f"/api/v1/posts/{view.id}", **_replayed(replayed)}
        return Response(view, status_code=HTTP_201_CREATED, headers=headers)

    @get("/{post_id:uuid}", summary="Read a post (public posts need no token)")
    async def read(
        self,
        post_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        posts: NamedDependency[Posts],
    ) -> Post:
        return await posts.read(post_id, viewer.account.id if viewer else None, client_address(request))

    @patch(
        "/{post_id:uuid}",
        guards=[not_suspended],
        security=SECURITY,
        responses=problems(403),
        summary="Edit my post",
    )
    async def update(
        self, post_id: FromPath[uuid.UUID], data: JSONBody[PostUpdate], posts: NamedDependency[Posts]
    ) -> Post:
        text = None if data.text is UNSET else data.text
        visibility = None if data.visibility is UNSET else data.visibility
        return await posts.update(post_id, text, visibility)

    @delete(
        "/{post_id:uuid}",
        guards=[signed_in],
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(403),
        summary="Delete my post",
    )
    async def remove(self, post_id: FromPath[uuid.UUID], posts: NamedDependency[Posts]) -> None:
        await posts.delete(post_id)

    @put(
        "/{post_id:uuid}/like", guards=[not_suspended], security=SECURITY, summary="Like a post (idempotent)"
    )
    async def like(self, post_id: FromPath[uuid.UUID], posts: NamedDependency[Posts]) -> Post:
        return await posts.like(post_id)

    @delete(
        "/{post_id:uuid}/like",
        guards=[not_suspended],
        security=SECURITY,
        status_code=200,
        summary="Take my like back (idempotent)",
        responses={
            HTTP_204_NO_CONTENT: ResponseSpec(
                None, description="The like is taken back from a post I may no longer see."
            )
        },
    )
    async def unlike(self, post_id: FromPath[uuid.UUID], posts: NamedDependency[Posts]) -> Response[Post]:
        view = await posts.unlike(post_id)
        if view is None:  # taken back from a post out of sight: nothing of it to show
            return Response(cast("Post", None), status_code=HTTP_204_NO_CONTENT)
        return Response(view)

    @post(
        "/{post_id:uuid}/comments",
        guards=[not_suspended, verified_email],
        security=SECURITY,
        status_code=HTTP_201_CREATED,
        responses=problems(409),
        summary="Comment or reply",
    )
    async def comment(
        self,
        post_id: FromPath[uuid.UUID],
        data: JSONBody[CommentCreate],
        posts: NamedDependency[Posts],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Comment]:
        view, replayed = await posts.comment(post_id, data.parent_id, data.text, idempotency_key)
        return Response(view, status_code=HTTP_201_CREATED, headers=_replayed(replayed))

    @get("/{post_id:uuid}/comments", summary="Comments of a post, oldest first; `parent_id` lists replies")
    async def comments(
        self,
        post_id: FromPath[uuid.UUID],
        posts: NamedDependency[Posts],
        parent_id: ParentId = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> CommentPage:
        return await posts.comments(post_id, parent_id, limit, cursor)

    @delete(
        "/{post_id:uuid}/comments/{comment_id:uuid}",
        guards=[signed_in],
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(403),
        summary="Delete a comment (its author or the post's author)",
    )
    async def remove_comment(
        self, post_id: FromPath[uuid.UUID], comment_id: FromPath[uuid.UUID], posts: NamedDependency[Posts]
    ) -> None:
        await posts.delete_comment(post_id, comment_id)


class FeedController(Controller):
    path = "/feed"
    tags = ["feed"]
    dependencies = DEPENDENCIES
    guards = [signed_in]

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
        posts: NamedDependency[Posts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        return await posts.feed(principal.account.id, limit, cursor)


class WallsController(Controller):
    """Lists of posts that belong to a user: their wall, and what they liked."""

    path = "/users"
    tags = ["posts"]
    dependencies = DEPENDENCIES

    @get("/me/posts", security=SECURITY, summary="My wall: all my posts, newest first")
    async def my_wall(
        self,
        principal: NamedDependency[Principal],
        posts: NamedDependency[Posts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        return await posts.wall(principal.account.id, limit, cursor)

    @get("/me/likes", security=SECURITY, summary="Posts I liked, most recently liked first")
    async def my_likes(
        self,
        principal: NamedDependency[Principal],
        posts: NamedDependency[Posts],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        return await posts.liked(principal.account.id, limit, cursor)

    @get("/{username:str}/posts", summary="A user's wall: the posts I may see, newest first")
    async def wall(
        self,
        username: Username,
        posts: NamedDependency[Posts],
        viewer: NamedDependency[Principal | None],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> PostPage:
        staff = viewer is not None and viewer.account.is_staff
        return await posts.wall_of(username, limit, cursor, as_staff=staff, viewer=block_viewer(viewer))
