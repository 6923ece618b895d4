"""The admin API (``/api/v1/admin/…``): accounts, staff actions on them and on content, the dashboard
and the audit log. Moderators and admins reach it; the admin-only actions say so (403 otherwise)."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from gateway.http.contract import problems
from gateway.http.guards import SECURITY, admin, staff
from gateway.http.parameters import Cursor, Limit, Username
from gateway.moderation import audit
from gateway.moderation.presenters import admin_user, audit_entry
from gateway.moderation.schemas import (
    AdminUser,
    AdminUserPage,
    AuditPage,
    Dashboard,
    RoleChange,
    RoleName,
    StaffAction,
    StatusName,
    SuspendRequest,
)
from gateway.moderation.service import Moderation, Suspension, UserFilters
from gateway.users.service import Accounts
from servicekit.database import Database

Query = Annotated[
    str | None,
    QueryParameter(max_length=254, description="A username or e-mail prefix (case-insensitive)."),
]


class AdminUsersController(Controller):
    path = "/admin/users"
    tags = ["admin"]
    guards = [staff]

    @get("/", security=SECURITY, summary="Accounts, by username: search and filter (staff)")
    async def users(
        self,
        moderation: NamedDependency[Moderation],
        q: Query = None,
        status: FromQuery[StatusName | None] = None,
        role: FromQuery[RoleName | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AdminUserPage:
        views, next_cursor = await moderation.users(UserFilters(q, status, role), limit, cursor)
        return AdminUserPage(items=[admin_user(view) for view in views], next_cursor=next_cursor)

    @get("/{username:str}", security=SECURITY, summary="One account, as staff see it")
    async def user(self, username: Username, moderation: NamedDependency[Moderation]) -> AdminUser:
        return admin_user(await moderation.user(username))

    @post(
        "/{username:str}/suspend",
        security=SECURITY,
        status_code=HTTP_200_OK,
        responses=problems(403, 409),
        summary="Suspend an account for a while (staff), or for good (admins)",
        description="It cannot post, comment, like or follow (403 `account-suspended`), and its profile"
        " and content are hidden from everyone but staff until `suspended_until`, when it ends by"
        " itself.",
    )
    async def suspend(
        self, username: Username, data: JSONBody[SuspendRequest], moderation: NamedDependency[Moderation]
    ) -> AdminUser:
        period = Suspension(until=data.until, duration=data.duration, permanent=data.permanent)
        return admin_user(await moderation.suspend(username, period, data.reason))

    @post(
        "/{username:str}/unsuspend",
        security=SECURITY,
        status_code=HTTP_200_OK,
        responses=problems(403, 409),
        summary="Lift a suspension (the moderator who made it, or an admin)",
    )
    async def unsuspend(
        self, username: Username, data: JSONBody[StaffAction], moderation: NamedDependency[Moderation]
    ) -> AdminUser:
        return admin_user(await moderation.unsuspend(username, data.reason))

    @post(
        "/{username:str}/disable",
        guards=[admin],
        security=SECURITY,
        status_code=HTTP_200_OK,
        responses=problems(403, 409),
        summary="Disable an account: no login, every session ends (admins)",
    )
    async def disable(
        self, username: Username, data: JSONBody[StaffAction], moderation: NamedDependency[Moderation]
    ) -> AdminUser:
        return admin_user(await moderation.disable(username, data.reason))

    @post(
        "/{username:str}/reactivate",
        guards=[admin],
        security=SECURITY,
        status_code=HTTP_200_OK,
        responses=problems(403, 409),
        summary="Make a disabled or suspended account active again (admins)",
    )
    async def reactivate(
        self, username: Username, data: JSONBody[StaffAction], moderation: NamedDependency[Moderation]
    ) -> AdminUser:
        return admin_user(await moderation.reactivate(username, data.reason))

    @put(
        "/{username:str}/role",
        guards=[admin],
        security=SECURITY,
        responses=problems(403, 409),
        summary="Give an account a role: user, moderator or admin (admins)",
        description="The last admin cannot be demoted (409 `last_admin`). It counts from the account's"
        " next request.",
    )
    async def role(
        self, username: Username, data: JSONBody[RoleChange], moderation: NamedDependency[Moderation]
    ) -> AdminUser:
        return admin_user(await moderation.change_role(username, data.role, data.reason))


class AdminContentController(Controller):
    path = "/admin"
    tags = ["admin"]
    guards = [staff]

    @post(
        "/posts/{post_id:uuid}/remove",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove any post, with a reason (staff); its author sees 410 `post_removed`",
    )
    async def remove_post(
        self,
        post_id: FromPath[uuid.UUID],
        data: JSONBody[StaffAction],
        moderation: NamedDependency[Moderation],
    ) -> None:
        await moderation.remove_post(post_id, data.reason)

    @post(
        "/comments/{comment_id:uuid}/remove",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove any comment and its replies, with a reason (staff)",
    )
    async def remove_comment(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[StaffAction],
        moderation: NamedDependency[Moderation],
    ) -> None:
        await moderation.remove_comment(comment_id, data.reason)

    @get("/dashboard", security=SECURITY, summary="Accounts, posts today, open reports (staff)")
    async def dashboard(self, moderation: NamedDependency[Moderation]) -> Dashboard:
        figures = await moderation.dashboard()
        return msgspec.convert(figures, Dashboard, from_attributes=True)


ActorName = Annotated[
    str | None, QueryParameter(max_length=30, description="Only this staff member's actions (a username).")
]
TargetId = Annotated[
    str | None, QueryParameter(max_length=64, description="Only actions on this target (an id).")
]


class AdminAuditController(Controller):
    path = "/admin/audit"
    tags = ["admin"]
    guards = [admin]

    @get("/", security=SECURITY, summary="The audit log, newest first, filtered (admins)")
    async def entries(
        self,
        database: NamedDependency[Database],
        accounts: NamedDependency[Accounts],
        actor: ActorName = None,
        target_type: FromQuery[audit.TargetType | None] = None,
        target_id: TargetId = None,
        action: FromQuery[audit.Action | None] = None,
        since: FromQuery[datetime.datetime | None] = None,
        until: FromQuery[datetime.datetime | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AuditPage:
        actor_id = None
        if actor is not None:
            actor_id = (await accounts.by_username(actor, include_hidden=True)).id
        filters = audit.Filters(
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            action=action,
            since=since,
            until=until,
        )
        found, next_cursor = await audit.entries(database, filters, limit, cursor)
        return AuditPage(items=[audit_entry(entry) for entry in found], next_cursor=next_cursor)
