"""Profiles as the API serves them: an account with its follow counts, and the changes one makes to
one's own, with what follows from them (a new password ends every other session)."""

from __future__ import annotations

from gateway.auth.service import Principal, Sessions, block_viewer
from gateway.graph.service import Graph
from gateway.users.presenters import own_profile, public_profile
from gateway.users.schemas import OwnProfile, PublicProfile
from gateway.users.service import AccountChanges, Accounts


class Profiles:
    """The profile routes' rules, on the process's account, graph and session services."""

    def __init__(self, accounts: Accounts, graph: Graph, sessions: Sessions) -> None:
        self._accounts = accounts
        self._graph = graph
        self._sessions = sessions

    async def own(self, principal: Principal) -> OwnProfile:
        """The caller's account, private details included."""
        return own_profile(principal.account, await self._graph.counts(principal.account.id))

    async def change_own(self, principal: Principal, changes: AccountChanges) -> OwnProfile:
        """Apply ``changes`` to the caller's account; a changed password ends every session but this
        one, so a stolen session stops working the moment its owner notices."""
        outcome = await self._accounts.update(principal.account.id, changes)
        if outcome.password_changed:
            await self._sessions.revoke_others(principal.account.id, keep=principal.session_id)
        return own_profile(outcome.account, await self._graph.counts(principal.account.id))

    async def public(self, username: str, viewer: Principal | None = None) -> PublicProfile:
        """Anyone's public profile; a hidden account's only for staff, and not one that blocks the
        viewer."""
        staff = viewer is not None and viewer.account.is_staff
        account = await self._accounts.by_username(
            username, include_hidden=staff, viewer=block_viewer(viewer)
        )
        return public_profile(account, await self._graph.counts(account.id))
