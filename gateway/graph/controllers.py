"""REST endpoints for the social graph: follow, unfollow, requests, lists and relationships."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT

from gateway import cursors
from gateway.auth.dependencies import SECURITY, provide_principal, provide_sessions, provide_viewer
from gateway.auth.service import Principal
from gateway.errors import INVALID_CURSOR, Problem
from gateway.graph import service
from gateway.graph.dependencies import provide_graph
from gateway.graph.schemas import AccountPage, Handled, ListedAccount, Relationship
from gateway.graph.service import FIRST, After, Graph, Link
from gateway.posts.controllers import Cursor, Limit, checked_cursor
from gateway.posts.schemas import Author
from gateway.users.dependencies import provide_accounts
from gateway.users.service import Accounts

ListPage = Callable[[uuid.UUID, After, int], Awaitable[list[Link]]]


class _Key(msgspec.Struct, array_like=True, frozen=True):
    """A cursor's content: which list, and the last entry served."""

    kind: str
    since: datetime.datetime
    user_id: uuid.UUID


_KEY = msgspec.json.Decoder(_Key)


def _encode_cursor(kind: str, link: Link) -> str:
    return cursors.encode(_Key(kind, link.since, link.user_id))


def _decode_cursor(kind: str, cursor: str | None) -> After:
    cursor = checked_cursor(cursor)
    if cursor is None:
        return FIRST
    try:
        key: _Key | None = cursors.decode(cursor, _KEY)
    except ValueError:
        key = None
    if key is None or key.kind != kind:
        raise Problem(INVALID_CURSOR, "Use a cursor from a previous page of this list, unchanged.")
    return After(key.since, key.user_id)


async def _page(kind: str, read: ListPage, user_id: uuid.UUID, limit: int, cursor: str | None) -> AccountPage:
    links = await read(user_id, _decode_cursor(kind, cursor), limit + 1)
    more = len(links) > limit
    links = links[:limit]
    return AccountPage(
        items=[
            ListedAccount(
                user=Author(id=link.user_id, username=link.username, display_name=link.display_name),
                since=link.since,
            )
            for link in links
        ],
        next_cursor=_encode_cursor(kind, links[-1]) if more else None,
    )


def _relationship(found: service.Relationship) -> Relationship:
    return Relationship(
        following=found.following,
        followed_by=found.followed_by,
        requested=found.requested,
        requested_by=found.requested_by,
    )


GRAPH_DEPENDENCIES = {
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "sessions": Provide(provide_sessions, sync_to_thread=False),
    "principal": Provide(provide_principal),
    "viewer": Provide(provide_viewer),
    "graph": Provide(provide_graph, sync_to_thread=False),
}


class FollowsController(Controller):
    """Following other accounts, and the lists of anyone's followers and following."""

    path = "/users"
    tags = ["graph"]
    dependencies = GRAPH_DEPENDENCIES

    @post(
        "/{username:str}/follow",
        security=SECURITY,
        status_code=200,
        summary="Follow a user (a request, if their account is private)",
    )
    async def follow(
        self,
        username: FromPath[str],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        target = await accounts.by_username(username)
        return _relationship(await graph.follow(principal.account.id, target.id))

    @delete(
        "/{username:str}/follow",
        security=SECURITY,
        status_code=200,
        summary="Unfollow a user, or withdraw my request",
    )
    async def unfollow(
        self,
        username: FromPath[str],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        target = await accounts.by_username(username)
        return _relationship(await graph.unfollow(principal.account.id, target.id))

    @get("/{username:str}/relationship", security=SECURITY, summary="How a user and I are linked")
    async def relationship(
        self,
        username: FromPath[str],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        other = await accounts.by_username(username)
        return _relationship(await graph.relationship(principal.account.id, other.id))

    @get(
        "/{username:str}/followers",
        summary="A user's followers, most recent first (a private account's: for its followers only)",
    )
    async def followers(
        self,
        username: FromPath[str],
        viewer: NamedDependency[Principal | None],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        owner = await accounts.by_username(username)
        await graph.may_list(viewer.account.id if viewer else None, owner.id, owner.is_private)
        return await _page("followers", graph.followers, owner.id, limit, cursor)

    @get(
        "/{username:str}/following",
        summary="Whom a user follows, most recent first (a private account's: for its followers only)",
    )
    async def following(
        self,
        username: FromPath[str],
        viewer: NamedDependency[Principal | None],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        owner = await accounts.by_username(username)
        await graph.may_list(viewer.account.id if viewer else None, owner.id, owner.is_private)
        return await _page("following", graph.following, owner.id, limit, cursor)


class MyGraphController(Controller):
    """My own followers, following and the requests waiting for me."""

    path = "/users/me"
    tags = ["graph"]
    dependencies = GRAPH_DEPENDENCIES

    @get("/followers", security=SECURITY, summary="My followers, most recent first")
    async def my_followers(
        self,
        principal: NamedDependency[Principal],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await _page("followers", graph.followers, principal.account.id, limit, cursor)

    @get("/following", security=SECURITY, summary="Whom I follow, most recent first")
    async def my_following(
        self,
        principal: NamedDependency[Principal],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await _page("following", graph.following, principal.account.id, limit, cursor)

    @delete(
        "/followers/{username:str}",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a follower (they may ask again)",
    )
    async def remove_follower(
        self,
        username: FromPath[str],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> None:
        follower = await accounts.by_username(username)
        await graph.remove_follower(principal.account.id, follower.id)

    @get("/follow-requests", security=SECURITY, summary="Requests to follow me, most recent first")
    async def requests(
        self,
        principal: NamedDependency[Principal],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await _page("requests", graph.requests, principal.account.id, limit, cursor)

    @post(
        "/follow-requests/accept-all",
        security=SECURITY,
        status_code=200,
        summary="Accept every waiting request",
    )
    async def accept_all(
        self, principal: NamedDependency[Principal], graph: NamedDependency[Graph]
    ) -> Handled:
        return Handled(count=await graph.accept_all(principal.account.id))

    @post(
        "/follow-requests/reject-all",
        security=SECURITY,
        status_code=200,
        summary="Reject every waiting request",
    )
    async def reject_all(
        self, principal: NamedDependency[Principal], graph: NamedDependency[Graph]
    ) -> Handled:
        return Handled(count=await graph.reject_all(principal.account.id))

    @post(
        "/follow-requests/{username:str}/accept",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Accept one request",
    )
    async def accept(
        self,
        username: FromPath[str],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> None:
        requester = await accounts.by_username(username)
        await graph.accept(principal.account.id, requester.id)

    @post(
        "/follow-requests/{username:str}/reject",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Reject one request",
    )
    async def reject(
        self,
        username: FromPath[str],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> None:
        requester = await accounts.by_username(username)
        await graph.reject(principal.account.id, requester.id)
