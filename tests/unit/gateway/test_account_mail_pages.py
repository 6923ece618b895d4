"""The pages mailed links open, in-process on a fake :class:`AccountMail`: a GET never uses its token,
the POST does and shows the outcome, and every page is escaped and sends no Referer (the links over the
real services: tests/system/gateway/test_email_verification.py and its neighbours)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from gateway.account_mail.service import (
    AccountMail,
    EmailTokenUsed,
    InvalidEmailToken,
    InvalidUnsubscribeToken,
)
from gateway.app import create_app
from tests.unit.gateway.fakes import fake_services

GOOD = "good-token"
NEW_PASSWORD = "a brand new passphrase"


class FakeAccountMail(AccountMail):
    """Records what it was asked; :data:`GOOD` is the one token it accepts, once."""

    def __init__(self) -> None:  # nothing of the real one is used
        self.calls: list[tuple[str, Any]] = []
        self.used: set[str] = set()

    def _use(self, token: str) -> None:
        if token in self.used:
            raise EmailTokenUsed()
        if token != GOOD:
            raise InvalidEmailToken()
        self.used.add(token)

    async def verify_email(self, token: str) -> None:
        self.calls.append(("verify_email", token))
        self._use(token)

    async def reset_password(self, token: str, password: str) -> None:
        self.calls.append(("reset_password", (token, password)))
        self._use(token)

    async def unsubscribe(self, token: str) -> str:
        self.calls.append(("unsubscribe", token))
        if token != GOOD:
            raise InvalidUnsubscribeToken()
        return "new_posts"


@pytest.fixture
def account_mail() -> FakeAccountMail:
    return FakeAccountMail()


@pytest.fixture
def client(account_mail: FakeAccountMail) -> Iterator[TestClient[Litestar]]:
    services = dataclasses.replace(fake_services(), account_mail=account_mail)
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/verify-email", "/reset-password", "/unsubscribe"])
def test_opening_a_link_shows_a_form_and_uses_nothing(
    client: TestClient[Litestar], account_mail: FakeAccountMail, path: str
) -> None:
    page = client.get(path, params={"token": '"><script>x</script>'})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in page.headers["cache-control"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert f'method="post" action="{path}"' in page.text
    assert "<script>x" not in page.text
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page.text
    assert account_mail.calls == []


@pytest.mark.parametrize("path", ["/verify-email", "/reset-password", "/unsubscribe"])
def test_a_link_without_a_token_is_refused(client: TestClient[Litestar], path: str) -> None:
    page = client.get(path)
    assert page.status_code == 400
    assert "no token" in page.text
    assert "<form" not in page.text


def test_pressing_the_button_verifies_and_a_second_press_is_refused(
    client: TestClient[Litestar], account_mail: FakeAccountMail
) -> None:
    done = client.post("/verify-email", data={"token": GOOD})
    assert done.status_code == 200
    assert "is verified" in done.text
    again = client.post("/verify-email", data={"token": GOOD})
    assert again.status_code == 400
    assert "used already" in again.text
    assert account_mail.calls == [("verify_email", GOOD)] * 2


def test_the_reset_form_checks_the_password_before_it_uses_the_token(
    client: TestClient[Litestar], account_mail: FakeAccountMail
) -> None:
    differ = client.post(
        "/reset-password", data={"token": GOOD, "password": NEW_PASSWORD, "password_again": "x"}
    )
    assert differ.status_code == 422
    assert "differ" in differ.text
    short = client.post(
        "/reset-password", data={"token": GOOD, "password": "short", "password_again": "short"}
    )
    assert short.status_code == 422
    assert "length" in short.text
    assert account_mail.calls == []
    done = client.post(
        "/reset-password", data={"token": GOOD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 200
    assert account_mail.calls == [("reset_password", (GOOD, NEW_PASSWORD))]


def test_the_unsubscribe_button_says_how_to_turn_the_mail_back_on(
    client: TestClient[Litestar], account_mail: FakeAccountMail
) -> None:
    done = client.post("/unsubscribe", data={"token": GOOD})
    assert done.status_code == 200
    assert "You will get no more mail about new posts" in done.text
    assert "PATCH /api/v1/users/me" in done.text
    refused = client.post("/unsubscribe", data={"token": "forged"})
    assert refused.status_code == 400
    assert "not valid" in refused.text


def test_the_one_click_address_takes_a_form_body_it_does_not_read(
    client: TestClient[Litestar], account_mail: FakeAccountMail
) -> None:
    answer = client.post(
        "/api/v1/mail/unsubscribe",
        params={"token": GOOD},
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"unsubscribed": "new_posts"}
    assert account_mail.calls == [("unsubscribe", GOOD)]
