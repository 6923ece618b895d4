"""REST endpoints for the social graph: follow, unfollow, requests, lists and relationships."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_204_NO_CONTENT

from gateway.auth.service import Principal, block_viewer
from gateway.graph.presenters import account_page, relationship_schema
from gateway.graph.schemas import AccountPage, Handled, Relationship
from gateway.graph.service import Graph
from gateway.http.contract import problems
from gateway.http.guards import SECURITY, not_suspended, signed_in
from gateway.http.parameters import Cursor, Limit, Username
from gateway.users.service import Accounts


def _staff(viewer: Principal | None) -> bool:
    return viewer is not None and viewer.account.is_staff


class FollowsController(Controller):
    """Following other accounts, and the lists of anyone's followers and following."""

    path = "/users"
    tags = ["graph"]

    @post(
        "/{username:str}/follow",
        guards=[not_suspended],
        security=SECURITY,
        status_code=200,
        responses=problems(409),
        summary="Follow a user (a request, if their account is private)",
    )
    async def follow(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        target = await accounts.by_username(username, viewer=principal.account.id)
        return relationship_schema(await graph.follow(principal.account.id, target.id))

    @delete(
        "/{username:str}/follow",
        security=SECURITY,
        status_code=200,
        summary="Unfollow a user, or withdraw my request",
    )
    async def unfollow(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        # A hidden account can still be unfollowed.
        target = await accounts.by_username(username, include_hidden=True)
        return relationship_schema(await graph.unfollow(principal.account.id, target.id))

    @get("/{username:str}/relationship", security=SECURITY, summary="How a user and I are linked")
    async def relationship(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        other = await accounts.by_username(username)
        return relationship_schema(await graph.relationship(principal.account.id, other.id))

    @get(
        "/{username:str}/followers",
        responses=problems(403),
        summary="A user's followers, most recent first (a private account's: for its followers only)",
    )
    async def followers(
        self,
        username: Username,
        viewer: NamedDependency[Principal | None],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        owner = await accounts.by_username(
            username, include_hidden=_staff(viewer), viewer=block_viewer(viewer)
        )
        await graph.may_list(viewer.account.id if viewer else None, owner.id, owner.is_private)
        return await account_page("followers", graph.followers, owner.id, limit, cursor)

    @get(
        "/{username:str}/following",
        responses=problems(403),
        summary="Whom a user follows, most recent first (a private account's: for its followers only)",
    )
    async def following(
        self,
        username: Username,
        viewer: NamedDependency[Principal | None],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        owner = await accounts.by_username(
            username, include_hidden=_staff(viewer), viewer=block_viewer(viewer)
        )
        await graph.may_list(viewer.account.id if viewer else None, owner.id, owner.is_private)
        return await account_page("following", graph.following, owner.id, limit, cursor)


class MyGraphController(Controller):
    """My own followers, following and the requests waiting for me."""

    path = "/users/me"
    tags = ["graph"]
    guards = [signed_in]

    @get("/followers", security=SECURITY, summary="My followers, most recent first")
    async def my_followers(
        self,
        principal: NamedDependency[Principal],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await account_page("followers", graph.followers, principal.account.id, limit, cursor)

    @get("/following", security=SECURITY, summary="Whom I follow, most recent first")
    async def my_following(
        self,
        principal: NamedDependency[Principal],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await account_page("following", graph.following, principal.account.id, limit, cursor)

    @delete(
        "/followers/{username:str}",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a follower (they may ask again)",
    )
    async def remove_follower(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> None:
        follower = await accounts.by_username(username, include_hidden=True)
        await graph.remove_follower(principal.account.id, follower.id)

    @get("/follow-requests", security=SECURITY, summary="Requests to follow me, most recent first")
    async def requests(
        self,
        principal: NamedDependency[Principal],
        graph: NamedDependency[Graph],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await account_page("requests", graph.requests, principal.account.id, limit, cursor)

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
        username: Username,
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
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        graph: NamedDependency[Graph],
    ) -> None:
        requester = await accounts.by_username(username)
        await graph.reject(principal.account.id, requester.id)
