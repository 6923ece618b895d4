"""REST endpoints of one's notifications: ``/notifications``, its unread count, marking read and
deleting."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from gateway.auth.service import Principal
from gateway.clients.posts import PostsClient
from gateway.http.contract import problems
from gateway.http.guards import SECURITY, signed_in
from gateway.http.parameters import Cursor, Limit
from gateway.http.schemas import Author
from gateway.notifications.schemas import (
    KINDS,
    MarkRead,
    Moderation,
    Notification,
    NotificationPage,
    UnreadCount,
)
from gateway.notifications.service import FIRST_SEQ, Entry, Notifications
from gateway.posts.presenters import post_views
from gateway.posts.schemas import Post
from gateway.users.service import Accounts
from servicekit import cursors
from servicekit.database import Database
from servicekit.errors import Invalid

KindList = Annotated[
    str | None,
    QueryParameter(
        description="Comma-separated notification types, of: "
        + ", ".join(f"`{kind}`" for kind in KINDS)
        + ".",
        schema_extra={"pattern": "^[a-z_]+(,[a-z_]+)*$", "max_length": 200},
    ),
]


class UnknownNotificationType(Invalid):
    code = "unknown_notification_type"
    title = "Unknown notification type"


class ListKey(msgspec.Struct, array_like=True, frozen=True):
    """Where a page of notifications resumes: below this ``seq``."""

    seq: int


def _kinds(field: str, given: str | None) -> list[str] | None:
    if given is None:
        return None
    kinds = [kind.strip() for kind in given.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise UnknownNotificationType(
            f"Unknown notification type {', '.join(unknown)}; known: {', '.join(KINDS)}.", field=field
        )
    return kinds


def provide_notifications(database: NamedDependency[Database]) -> Notifications:
    return Notifications(database)


def _moderation(entry: Entry) -> Moderation | None:
    if entry.kind != "moderation":
        return None
    return msgspec.convert(entry.data, Moderation, strict=False)


def _view(entry: Entry, posts: dict[uuid.UUID, Post]) -> Notification:
    return Notification(
        id=entry.id,
        type=entry.kind,  # type: ignore[arg-type]
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        read=entry.read,
        actors=[
            Author(id=actor.id, username=actor.username, display_name=actor.display_name)
            for actor in entry.actors
        ],
        actor_count=entry.actor_count,
        post=posts.get(entry.post_id) if entry.post_id else None,
        comment_id=entry.comment_id,
        moderation=_moderation(entry),
    )


class NotificationsController(Controller):
    """What others did that concerns me: follows, requests, likes, comments, replies, mentions, and
    what staff did to my account or content."""

    path = "/notifications"
    tags = ["notifications"]
    guards = [signed_in]
    dependencies = {"notifications": Provide(provide_notifications, sync_to_thread=False)}

    @get(
        "",
        security=SECURITY,
        summary="My notifications, newest first",
        description="Keyset paginated by `next_cursor`. An entry moves to the top, unread, when a group "
        "gains an actor (another like of the same post that day). Entries about a post the reader may "
        "no longer see (deleted, made private, its author hidden or blocked) are left out, and actors "
        "who are hidden now are neither shown nor counted. `types` keeps only the given types, "
        "`exclude_types` leaves them out.",
        responses=problems(400, 422),
    )
    async def list_notifications(
        self,
        principal: NamedDependency[Principal],
        notifications: NamedDependency[Notifications],
        posts_client: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        limit: Limit = 20,
        cursor: Cursor = None,
        types: KindList = None,
        exclude_types: KindList = None,
    ) -> NotificationPage:
        me = principal.account.id
        kinds, excluded = _kinds("types", types), _kinds("exclude_types", exclude_types)
        list_name = cursors.list_id("notifications", me, types or "", exclude_types or "")
        before = FIRST_SEQ
        if cursor is not None:
            before = cursors.decode_for(
                list_name, cursor, ListKey, "Use a cursor from a previous page of this list."
            ).seq
        entries = await notifications.list(
            me, before_seq=before, limit=limit + 1, kinds=kinds, excluded=excluded
        )
        more = len(entries) > limit
        entries = entries[:limit]
        # The posts as I may see them now: one call for the page; an entry about a post I may not
        # see is left out.
        post_ids = list({entry.post_id for entry in entries if entry.post_id and entry.kind != "moderation"})
        visible = (
            {post.id: post for post in await post_views(accounts, await posts_client.get_posts(post_ids))}
            if post_ids
            else {}
        )
        items = [
            _view(entry, visible)
            for entry in entries
            if entry.post_id is None or entry.kind == "moderation" or entry.post_id in visible
        ]
        next_cursor = cursors.encode_for(list_name, ListKey(entries[-1].seq)) if more else None
        return NotificationPage(items=items, next_cursor=next_cursor)

    @get("/unread-count", security=SECURITY, summary="How many of my notifications are unread")
    async def unread_count(
        self, principal: NamedDependency[Principal], notifications: NamedDependency[Notifications]
    ) -> UnreadCount:
        return UnreadCount(unread_count=await notifications.unread_count(principal.account.id))

    @post(
        "/read",
        security=SECURITY,
        status_code=200,
        summary="Mark my notifications read, up to one of them",
        description="Marks `up_to` and every entry below it in the list read; answers the unread count "
        "after (entries that arrived since stay unread).",
        responses=problems(404, 422),
    )
    async def mark_read(
        self,
        data: JSONBody[MarkRead],
        principal: NamedDependency[Principal],
        notifications: NamedDependency[Notifications],
    ) -> UnreadCount:
        return UnreadCount(unread_count=await notifications.mark_read(principal.account.id, data.up_to))

    @delete(
        "/{notification_id:uuid}",
        security=SECURITY,
        status_code=204,
        summary="Delete one of my notifications",
        responses=problems(404),
    )
    async def delete_notification(
        self,
        notification_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        notifications: NamedDependency[Notifications],
    ) -> None:
        await notifications.delete(principal.account.id, notification_id)
