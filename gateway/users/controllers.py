"""REST endpoints for profiles."""

from __future__ import annotations

from typing import Any

from litestar import Controller, delete, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from msgspec import UNSET

from gateway.auth.service import Principal, Sessions
from gateway.graph.service import Graph
from gateway.http.contract import problems
from gateway.http.guards import SECURITY
from gateway.http.parameters import Username
from gateway.http.ratelimit import OPT_KEY
from gateway.users.profiles import Profiles
from gateway.users.schemas import AccountDeletion, OwnProfile, PublicProfile, UserUpdate
from gateway.users.service import AccountChanges, Accounts


def _given(value: Any) -> Any:
    return None if value is UNSET else value


def _changes(data: JSONBody[UserUpdate]) -> AccountChanges:
    given = _given
    return AccountChanges(
        display_name=given(data.display_name),
        bio=given(data.bio),
        is_private=given(data.is_private),
        email=given(data.email),
        password=given(data.password),
        current_password=given(data.current_password),
        email_new_posts=given(data.email_new_posts),
    )


def provide_profiles(
    accounts: NamedDependency[Accounts], graph: NamedDependency[Graph], sessions: NamedDependency[Sessions]
) -> Profiles:
    return Profiles(accounts, graph, sessions)


class UsersController(Controller):
    path = "/users"
    tags = ["users"]
    dependencies = {"profiles": Provide(provide_profiles, sync_to_thread=False)}

    @get("/me", security=SECURITY, summary="My account")
    async def me(
        self, principal: NamedDependency[Principal], profiles: NamedDependency[Profiles]
    ) -> OwnProfile:
        return await profiles.own(principal)

    @patch(
        "/me",
        security=SECURITY,
        opt={OPT_KEY: "account"},
        responses=problems(409),
        summary="Change my profile, e-mail, privacy or password",
    )
    async def update_me(
        self,
        data: JSONBody[UserUpdate],
        principal: NamedDependency[Principal],
        profiles: NamedDependency[Profiles],
    ) -> OwnProfile:
        return await profiles.change_own(principal, _changes(data))

    @delete(
        "/me",
        security=SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        opt={OPT_KEY: "account"},
        responses=problems(409),
        summary="Delete my account (with my password)",
        description="Status `deleted`: every session ends, my follows go, my posts, comments and likes are"
        " removed (within about a second, by the posts service), and my username stays taken for 30 days."
        " The last admin must make another admin first (409 `last_admin`).",
    )
    async def delete_me(
        self,
        data: JSONBody[AccountDeletion],
        principal: NamedDependency[Principal],
        accounts: NamedDependency[Accounts],
    ) -> None:
        await accounts.delete(principal.account, data.password)

    @get("/{username:str}", summary="A user's public profile")
    async def profile(
        self,
        username: Username,
        profiles: NamedDependency[Profiles],
        viewer: NamedDependency[Principal | None],
    ) -> PublicProfile:
        return await profiles.public(username, viewer)
