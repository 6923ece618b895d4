"""REST endpoints for registration and tokens."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from gateway.auth.dependencies import provide_sessions
from gateway.auth.schemas import LoginRequest, RefreshRequest, TokenPair
from gateway.auth.service import IssuedTokens, Sessions
from gateway.ratelimit import OPT_KEY
from gateway.users.dependencies import provide_accounts
from gateway.users.schemas import PublicProfile, UserCreate
from gateway.users.service import Accounts
from gateway.users.views import public_profile

# Register and log in share one budget per client address: both are what a password guesser hits.
_LIMITED = {OPT_KEY: "auth"}


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
    dependencies = {"sessions": Provide(provide_sessions, sync_to_thread=False)}

    @post(
        "/register",
        status_code=HTTP_201_CREATED,
        opt=_LIMITED,
        dependencies={"accounts": Provide(provide_accounts, sync_to_thread=False)},
        summary="Create an account",
    )
    async def register(
        self, data: JSONBody[UserCreate], accounts: NamedDependency[Accounts]
    ) -> Response[PublicProfile]:
        account = await accounts.register(
            username=data.username, email=data.email, password=data.password, display_name=data.display_name
        )
        return Response(
            public_profile(account),
            status_code=HTTP_201_CREATED,
            headers={"Location": f"/api/v1/users/{account.username}"},
        )

    @post("/login", status_code=HTTP_200_OK, opt=_LIMITED, summary="Log in with username or e-mail")
    async def login(self, data: JSONBody[LoginRequest], sessions: NamedDependency[Sessions]) -> TokenPair:
        return _token_pair(await sessions.login(data.username, data.password))

    @post("/refresh", status_code=HTTP_200_OK, summary="Exchange a refresh token for a new pair")
    async def refresh(self, data: JSONBody[RefreshRequest], sessions: NamedDependency[Sessions]) -> TokenPair:
        return _token_pair(await sessions.refresh(data.refresh_token))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="Revoke the session of a refresh token")
    async def logout(self, data: JSONBody[RefreshRequest], sessions: NamedDependency[Sessions]) -> None:
        await sessions.logout(data.refresh_token)
