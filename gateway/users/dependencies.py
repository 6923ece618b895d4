"""Dependencies for account routes."""

from __future__ import annotations

from litestar.datastructures import State

from gateway.users.service import Accounts


def provide_accounts(state: State) -> Accounts:
    return state.accounts  # type: ignore[no-any-return]
