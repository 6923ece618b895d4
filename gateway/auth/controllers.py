"""REST endpoints for registration and tokens."""

from __future__ import annotations

from litestar import Controller, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from gateway.auth.schemas import LoginRequest, RefreshRequest, TokenPair
from gateway.auth.service import IssuedTokens, Sessions
from gateway.http.contract import problems
from gateway.http.ratelimit import ACCOUNT_OPT_KEY, OPT_KEY
from gateway.users.schemas import RegistrationAccepted, UserCreate
from gateway.users.service import Accounts

_ACCEPTED = (
    "Unless the e-mail address already had an account, this one exists now: log in with the username "
    "and password."
)
# Register and log in share one budget per client address: both are what a password guesser hits.
_LIMITED = {OPT_KEY: "auth"}
# Tokens must not be kept by any cache on the way (RFC 6749, section 5.1).
_NO_STORE = CacheControlHeader(no_store=True)


def _token_pair(tokens: IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        refresh_expires_in=tokens.refresh_expires_in,
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/register",
        status_code=HTTP_202_ACCEPTED,
        opt=_LIMITED,
        responses=problems(409),
        summary="Create an account",
        description="202 for every registration that is not refused, whether the e-mail address was "
        "free (the account exists now: log in) or already had an account (nothing was created): the "
        "answer does not tell which addresses have accounts. A taken username is 409 "
        "`username_taken`, since profiles are public.",
    )
    async def register(
        self, data: JSONBody[UserCreate], accounts: NamedDependency[Accounts]
    ) -> RegistrationAccepted:
        await accounts.register(
            username=data.username, email=data.email, password=data.password, display_name=data.display_name
        )
        return RegistrationAccepted(username=data.username.strip().lower(), detail=_ACCEPTED)

    @post(
        "/login",
        status_code=HTTP_200_OK,
        opt={**_LIMITED, ACCOUNT_OPT_KEY: "username"},
        responses=problems(401, 403),
        cache_control=_NO_STORE,
        summary="Log in with username or e-mail",
    )
    async def login(self, data: JSONBody[LoginRequest], sessions: NamedDependency[Sessions]) -> TokenPair:
        return _token_pair(await sessions.login(data.username, data.password))

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        opt={OPT_KEY: "refresh"},
        responses=problems(401),
        cache_control=_NO_STORE,
        summary="Exchange a refresh token for a new pair",
    )
    async def refresh(self, data: JSONBody[RefreshRequest], sessions: NamedDependency[Sessions]) -> TokenPair:
        return _token_pair(await sessions.refresh(data.refresh_token))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="Revoke the session of a refresh token")
    async def logout(self, data: JSONBody[RefreshRequest], sessions: NamedDependency[Sessions]) -> None:
        await sessions.logout(data.refresh_token)
