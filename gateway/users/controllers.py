"""REST endpoints for profiles."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import UNSET

from gateway.auth.service import Principal, Sessions
from gateway.graph.service import Graph
from gateway.http.contract import problems
from gateway.http.guards import SECURITY
from gateway.http.parameters import Username
from gateway.http.ratelimit import OPT_KEY
from gateway.users.presenters import own_profile, public_profile
from gateway.users.schemas import OwnProfile, PublicProfile, UserUpdate
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
    )


class UsersController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/me", security=SECURITY, summary="My account")
    async def me(self, principal: NamedDependency[Principal], graph: NamedDependency[Graph]) -> OwnProfile:
        return own_profile(principal.account, await graph.counts(principal.account.id))

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
        accounts: NamedDependency[Accounts],
        sessions: NamedDependency[Sessions],
        graph: NamedDependency[Graph],
    ) -> OwnProfile:
        outcome = await accounts.update(principal.account.id, _changes(data))
        if outcome.password_changed:
            await sessions.revoke_others(principal.account.id, keep=principal.session_id)
        return own_profile(outcome.account, await graph.counts(principal.account.id))

    @get("/{username:str}", summary="A user's public profile")
    async def profile(
        self, username: Username, accounts: NamedDependency[Accounts], graph: NamedDependency[Graph]
    ) -> PublicProfile:
        account = await accounts.by_username(username)
        return public_profile(account, await graph.counts(account.id))
