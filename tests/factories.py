"""Test data through the public API: members who registered and logged in."""

from __future__ import annotations

import dataclasses
import itertools
import secrets
from typing import Any

import httpx

from tests.smtp import MailServer

_serial = itertools.count(1)


def client_address() -> str:
    """A unique client address (IPv6 documentation prefix), sent as X-Forwarded-For: the gateway
    trusts it from 127.0.0.1 as it would from a proxy, so each test gets its own rate-limit budget."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def api_client(gateway_url: str, address: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=f"{gateway_url}/api/v1",
        headers={"X-Forwarded-For": address or client_address()},
        timeout=10,
    )


@dataclasses.dataclass
class Member:
    """A registered, logged-in user, with the password they chose."""

    id: str
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}_{next(_serial)}_{secrets.token_hex(3)}"


def registration(**overrides: Any) -> dict[str, Any]:
    """A valid registration body; ``overrides`` replace or add fields."""
    username = unique_username()
    body: dict[str, Any] = {
        "username": username,
        "email": f"{username}@example.org",
        "password": "correct horse battery",
    }
    body.update(overrides)
    return body


class Members:
    """Creates members through the REST API, each from its own client address."""

    def __init__(self, gateway_url: str) -> None:
        self.gateway_url = gateway_url

    def create(self, **overrides: Any) -> Member:
        body = registration(**overrides)
        with api_client(self.gateway_url) as api:
            created = api.post("/auth/register", json=body)
            assert created.status_code == 202, created.text
            tokens = api.post(
                "/auth/login", json={"username": body["username"], "password": body["password"]}
            )
            assert tokens.status_code == 200, tokens.text
            me = api.get("/users/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"})
        return Member(
            id=me.json()["id"],
            username=created.json()["username"],
            email=body["email"].lower(),
            password=body["password"],
            access_token=tokens.json()["access_token"],
            refresh_token=tokens.json()["refresh_token"],
        )


def verify_email(gateway_url: str, mail_server: MailServer, member: Member) -> None:
    """Follow the link of ``member``'s verification mail, as they would (the mail must have come)."""
    mail = mail_server.wait_for(member.email, template="verify_email")[-1]
    with api_client(gateway_url) as api:
        verified = api.post("/auth/verify-email", json={"token": mail.token("/verify-email")})
        assert verified.status_code == 204, verified.text


class Posts:
    """Creates posts through the REST API."""

    def __init__(self, gateway_url: str) -> None:
        self.gateway_url = gateway_url

    def create(self, author: Member, text: str | None = None, visibility: str = "public") -> dict[str, Any]:
        with api_client(self.gateway_url) as api:
            body = {"text": text or f"post {next(_serial)} by {author.username}", "visibility": visibility}
            response = api.post("/posts", json=body, headers=author.auth)
            assert response.status_code == 201, response.text
            post: dict[str, Any] = response.json()
            return post
