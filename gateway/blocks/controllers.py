"""REST endpoints of blocks and mutes: ``/users/{username}/block`` and ``/mute``, and my lists of
them under ``/users/me``."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from gateway.auth.service import Principal
from gateway.blocks.schemas import MutedAccount, MutePage, MuteRequest
from gateway.blocks.service import Blocks
from gateway.graph.presenters import ListKey, account_page, after_cursor, relationship_schema
from gateway.graph.schemas import AccountPage, Relationship
from gateway.graph.service import Graph
from gateway.http.contract import problems
from gateway.http.guards import SECURITY, signed_in
from gateway.http.parameters import Cursor, Limit, Username
from gateway.http.schemas import Author
from gateway.users.service import Accounts
from servicekit import cursors
from servicekit.database import Database


def provide_blocks(database: NamedDependency[Database]) -> Blocks:
    return Blocks(database)


DEPENDENCIES = {"blocks": Provide(provide_blocks, sync_to_thread=False)}


class BlocksController(Controller):
    """Blocking and muting an account. Each answers how the two accounts are linked now."""

    path = "/users"
    tags = ["blocks"]
    guards = [signed_in]
    dependencies = DEPENDENCIES

    @post(
        "/{username:str}/block",
        security=SECURITY,
        status_code=200,
        responses=problems(409, 422),
        summary="Block a user: follows end both ways, and neither sees the other's content",
    )
    async def block(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        blocks: NamedDependency[Blocks],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        # One may block an account that blocks one (it does not see us either way).
        target = await accounts.by_username(username)
        await blocks.block(principal.account.id, target.id)
        return relationship_schema(await graph.relationship(principal.account.id, target.id))

    @delete(
        "/{username:str}/block",
        security=SECURITY,
        status_code=200,
        summary="Unblock a user (follows do not come back)",
    )
    async def unblock(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        blocks: NamedDependency[Blocks],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        # A hidden account can still be unblocked, as it can be unfollowed.
        target = await accounts.by_username(username, include_hidden=True)
        await blocks.unblock(principal.account.id, target.id)
        return relationship_schema(await graph.relationship(principal.account.id, target.id))

    @post(
        "/{username:str}/mute",
        security=SECURITY,
        status_code=200,
        responses=problems(409, 422),
        summary="Mute a user: their posts and comments leave my feed, comments and search",
    )
    async def mute(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        blocks: NamedDependency[Blocks],
        graph: NamedDependency[Graph],
        data: JSONBody[MuteRequest | None] = None,
    ) -> Relationship:
        asked = data or MuteRequest()
        target = await accounts.by_username(username, viewer=principal.account.id)
        await blocks.mute(
            principal.account.id, target.id, seconds=asked.duration, notifications=asked.notifications
        )
        return relationship_schema(await graph.relationship(principal.account.id, target.id))

    @delete("/{username:str}/mute", security=SECURITY, status_code=200, summary="Unmute a user")
    async def unmute(
        self,
        username: Username,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
        blocks: NamedDependency[Blocks],
        graph: NamedDependency[Graph],
    ) -> Relationship:
        target = await accounts.by_username(username, include_hidden=True)
        await blocks.unmute(principal.account.id, target.id)
        return relationship_schema(await graph.relationship(principal.account.id, target.id))


class MyBlocksController(Controller):
    """The accounts I block and mute."""

    path = "/users/me"
    tags = ["blocks"]
    guards = [signed_in]
    dependencies = DEPENDENCIES

    @get("/blocks", security=SECURITY, summary="The accounts I block, most recent first")
    async def my_blocks(
        self,
        principal: NamedDependency[Principal],
        blocks: NamedDependency[Blocks],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AccountPage:
        return await account_page("blocks", blocks.blocked, principal.account.id, limit, cursor)

    @get("/mutes", security=SECURITY, summary="The accounts I mute now, most recent first")
    async def my_mutes(
        self,
        principal: NamedDependency[Principal],
        blocks: NamedDependency[Blocks],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> MutePage:
        list_name = cursors.list_id("mutes", principal.account.id)
        found = await blocks.muted(principal.account.id, after_cursor(list_name, cursor), limit + 1)
        page, more = found[:limit], len(found) > limit
        last = page[-1].link if page else None
        return MutePage(
            items=[
                MutedAccount(
                    user=Author(
                        id=m.link.user_id, username=m.link.username, display_name=m.link.display_name
                    ),
                    since=m.link.since,
                    until=m.until,
                    notifications=m.notifications,
                )
                for m in page
            ],
            next_cursor=cursors.encode_for(list_name, ListKey(last.since, last.user_id))
            if more and last
            else None,
        )
