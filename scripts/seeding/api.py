"""Flock's REST API as the seeder and the benchmark use it: accounts with their tokens, and requests
that renew an expired token and wait out a rate limit or a brief outage.

Each account registers and logs in from an ``X-Forwarded-For`` address of its own in the
documentation range 2001:db8::/32 (the gateway trusts the header from 127.0.0.1 by default), so the
per-address limit of register and login (10 a minute) never trips however many accounts are seeded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import secrets
import time
from collections.abc import Collection, Mapping
from typing import Any

import httpx

API = "/api/v1"
PASSWORD = "flock-seed-password"  # noqa: S105 - every seeded account's, printed for whoever seeds
_RETRY_STATUSES = {429, 502, 503, 504}
_ATTEMPTS = 5


class SeedError(Exception):
    """Seeding cannot go on; the message says why."""


class NotUp(SeedError):
    """Flock is not running (or not ready) at the URL."""


class RequestFailed(SeedError):
    """A request answered something else than expected."""

    def __init__(self, action: str, response: httpx.Response) -> None:
        self.status = response.status_code
        self.code = problem_code(response)
        super().__init__(f"could not {action}: {response.status_code} {response.text[:300]}")


def problem_code(response: httpx.Response) -> str:
    """The ``code`` of an application/problem+json answer, or ``""``."""
    if "json" not in response.headers.get("content-type", ""):
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


def client_address(network: int, index: int) -> str:
    """The ``index``-th address of a /48 in the documentation range 2001:db8::/32: one per account
    (and login), so the per-address rate limit of register and login never trips."""
    return str(ipaddress.IPv6Address(f"2001:db8:{network:x}::") + index + 1)


@dataclasses.dataclass(eq=False)
class Account:
    """A seeded account as the API knows it, with its current tokens."""

    username: str
    address: str  # its X-Forwarded-For
    id: str = ""
    access_token: str = ""
    refresh_token: str = ""
    renew_at: float = 0.0  # monotonic time after which the access token is renewed before use
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock, repr=False)


async def check_up(client: httpx.AsyncClient, paths: Collection[str] = (f"{API}/posts",)) -> None:
    """Fail clearly unless the gateway answers, is ready and serves every one of ``paths``."""
    try:
        ready = await client.get("/health/ready")
        spec = await client.get("/docs/openapi.json")
    except httpx.TransportError as error:
        raise NotUp(f"Flock is not reachable at {client.base_url} ({error})") from None
    if ready.status_code != 200:
        raise NotUp(f"Flock at {client.base_url} is not ready: {ready.status_code} {ready.text}")
    missing = sorted(set(paths) - set(spec.json().get("paths", {})))
    if missing:
        raise SeedError(f"the gateway at {client.base_url} has no {', '.join(missing)}: is it up to date?")


class Api:
    """Requests to the gateway, as an account or anonymously."""

    def __init__(self, client: httpx.AsyncClient, password: str = PASSWORD) -> None:
        self.client = client
        self.password = password
        # A fresh /48 per run (not 0, the tests'), so earlier runs' rate-limit counts stay behind.
        self.network = 1 + secrets.randbelow(0xFFFF)

    def account(self, username: str, index: int) -> Account:
        return Account(username, client_address(self.network, index))

    async def request(
        self,
        method: str,
        path: str,
        *,
        account: Account | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        retry_lost: bool = True,
    ) -> httpx.Response:
        """One request, as ``account`` if given; waits and retries on 429 and 502–504, renews the
        account's token when it has expired, and (with ``retry_lost``, for requests that are safe to
        repeat) sends it again when the connection broke."""
        for attempt in range(_ATTEMPTS):
            sent = dict(headers or {})
            token = ""
            if account is not None:
                token = await self.token(account)
                sent["Authorization"] = f"Bearer {token}"
            try:
                response = await self.client.request(
                    method, f"{API}{path}", json=json, headers=sent, params=params
                )
            except httpx.TransportError:
                if not retry_lost or attempt == _ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if response.status_code == 401 and account is not None and attempt == 0:
                await self.renew(account, stale=token)
                continue
            if response.status_code in _RETRY_STATUSES and attempt < _ATTEMPTS - 1:
                wait = min(float(response.headers.get("Retry-After", 0) or 0), 30.0)
                await asyncio.sleep(max(wait, 0.2 * 2**attempt))
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    # ---- accounts and tokens ------------------------------------------------------------------------

    async def register(self, account: Account, *, email: str, display_name: str) -> bool:
        """Create the account; False if its username is taken already (a re-run: then it logs in)."""
        body = {
            "username": account.username,
            "email": email,
            "password": self.password,
            "display_name": display_name,
        }
        response = await self.request(
            "POST", "/auth/register", json=body, headers={"X-Forwarded-For": account.address}
        )
        if response.status_code == 409 and problem_code(response) == "username_taken":
            return False
        expect(response, {202}, f"register {account.username}")
        # The answer does not say whether an account was made (it must not tell which e-mail
        # addresses have one): the public profile does.
        profile = await self.request("GET", f"/users/{account.username}")
        expect(profile, {200}, f"register {account.username} (its e-mail address has an account?)")
        account.id = str(profile.json()["id"])
        return True

    async def login(self, account: Account) -> None:
        body = {"username": account.username, "password": self.password}
        response = await self.request(
            "POST", "/auth/login", json=body, headers={"X-Forwarded-For": account.address}
        )
        if response.status_code == 401:
            raise SeedError(
                f"cannot log in as {account.username}: the account exists with another password "
                "(not a seeded one?); seed with another --seed"
            )
        self._keep_tokens(account, expect(response, {200}, f"log in as {account.username}"))
        if not account.id:  # not registered in this run: read the id from the public profile
            profile = await self.client.get(f"{API}/users/{account.username}")
            account.id = str(expect(profile, {200}, f"read the profile of {account.username}")["id"])

    async def token(self, account: Account) -> str:
        """The account's access token, renewed first if it is about to expire."""
        if time.monotonic() >= account.renew_at:
            await self.renew(account, stale=account.access_token)
        return account.access_token

    async def renew(self, account: Account, *, stale: str) -> None:
        """Exchange the refresh token for new tokens, unless another request already has since ``stale``
        was read (refresh tokens are one-time: a second use would end the session)."""
        async with account.lock:
            if account.access_token != stale:
                return
            if not account.refresh_token:
                await self.login(account)
                return
            response = await self.client.post(
                f"{API}/auth/refresh", json={"refresh_token": account.refresh_token}
            )
            if response.status_code == 401:  # the session ended (expired, revoked): log in again
                account.refresh_token = ""
                await self.login(account)
                return
            self._keep_tokens(account, expect(response, {200}, f"renew the token of {account.username}"))

    @staticmethod
    def _keep_tokens(account: Account, tokens: dict[str, Any]) -> None:
        account.access_token = str(tokens["access_token"])
        account.refresh_token = str(tokens["refresh_token"])
        lifetime = float(tokens.get("expires_in") or 900)
        account.renew_at = time.monotonic() + max(lifetime - 60, lifetime / 2)


def expect(response: httpx.Response, statuses: Collection[int], action: str) -> dict[str, Any]:
    """The JSON body of ``response`` if its status is one of ``statuses``; else :class:`RequestFailed`."""
    if response.status_code not in statuses:
        raise RequestFailed(action, response)
    if not response.content:
        return {}
    body = response.json()
    return body if isinstance(body, dict) else {"items": body}
