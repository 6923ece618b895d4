"""Graph records -> response schemas: pages of accounts (followers, requests, blocks, mutes) with
their cursors, and the relationship of two accounts. The graph's controllers and the blocks' share
them."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable

import msgspec

from gateway.graph import service
from gateway.graph.schemas import AccountPage, ListedAccount, Relationship
from gateway.graph.service import FIRST, After, Link
from gateway.http.schemas import Author
from servicekit import cursors

ListPage = Callable[[uuid.UUID, After, int], Awaitable[list[Link]]]


class ListKey(msgspec.Struct, array_like=True, frozen=True):
    """Where a page of a list resumes: after this entry."""

    since: datetime.datetime
    user_id: uuid.UUID


def after_cursor(list_name: str, cursor: str | None) -> After:
    """Where the page of ``list_name`` that ``cursor`` asks for starts."""
    if cursor is None:
        return FIRST
    detail = "Use a cursor from a previous page of this list, unchanged."
    key = cursors.decode_for(list_name, cursor, ListKey, detail)
    return After(key.since, key.user_id)


async def account_page(
    kind: str, read: ListPage, user_id: uuid.UUID, limit: int, cursor: str | None
) -> AccountPage:
    """A page of the list ``kind`` of ``user_id`` (followers, blocks…), read by ``read``."""
    list_name = cursors.list_id(kind, user_id)
    links = await read(user_id, after_cursor(list_name, cursor), limit + 1)
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
        next_cursor=cursors.encode_for(list_name, ListKey(links[-1].since, links[-1].user_id))
        if more
        else None,
    )


def relationship_schema(found: service.Relationship) -> Relationship:
    """The answer of every call that changes how two accounts are linked."""
    return Relationship(
        following=found.following,
        followed_by=found.followed_by,
        requested=found.requested,
        requested_by=found.requested_by,
        blocking=found.blocking,
        blocked_by=found.blocked_by,
        muting=found.muting,
        muting_notifications=found.muting_notifications,
    )
