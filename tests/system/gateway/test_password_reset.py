"""Resetting a forgotten password: asking for a link (which tells nothing of who has an account),
setting the new password with it through the API or its page, and what that ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.factories import Member, Members, unique_username
from tests.smtp import MailServer

NEW_PASSWORD = "a brand new passphrase"
# Headers that differ between any two answers.
_VARYING = {"x-request-id", "date", "ratelimit-remaining", "ratelimit-reset"}


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def login(api: httpx.Client, member: Member, password: str) -> httpx.Response:
    return api.post("/auth/login", json={"username": member.username, "password": password})


def reset_token(mail_server: MailServer, address: str, count: int = 1) -> str:
    """The token of the newest of ``count`` reset mails to ``address``."""
    return mail_server.wait_for(address, template="password_reset", count=count)[-1].token("/reset-password")


@pytest.fixture
def site(gateway_url: str) -> Iterator[httpx.Client]:
    """A browser on the gateway's pages (outside /api/v1)."""
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        yield client


def test_a_request_is_answered_alike_whether_or_not_an_account_has_the_address(
    api: httpx.Client, members: Members, mail_server: MailServer, gateway_url: str
) -> None:
    member = members.create()
    unknown = f"{unique_username('nobody')}@example.org"
    answers = [
        api.post("/auth/password-reset", json={"email": address}) for address in (member.email, unknown)
    ]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    assert "reset" in answers[0].json()["detail"]
    assert set(answers[0].headers) - _VARYING == set(answers[1].headers) - _VARYING
    [mail] = mail_server.wait_for(member.email, template="password_reset")
    assert mail.link("/reset-password").startswith(f"{gateway_url}/reset-password?token=")
    assert member.username in mail.text
    assert mail_server.to(unknown) == []


def test_the_address_is_matched_case_insensitively(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    assert api.post("/auth/password-reset", json={"email": member.email.upper()}).status_code == 202
    assert mail_server.wait_for(member.email, template="password_reset")


def test_a_new_password_ends_every_session_and_replaces_the_old_one(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    assert api.post("/auth/password-reset", json={"email": member.email}).status_code == 202
    token = reset_token(mail_server, member.email)
    reset = api.post("/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text
    assert api.post("/auth/refresh", json={"refresh_token": member.refresh_token}).status_code == 401
    assert api.get("/users/me", headers=member.auth).status_code == 401
    assert login(api, member, member.password).status_code == 401
    fresh = login(api, member, NEW_PASSWORD)
    assert fresh.status_code == 200
    # The link proved the address too.
    me = api.get("/users/me", headers={"Authorization": f"Bearer {fresh.json()['access_token']}"})
    assert me.json()["email_verified"] is True

    again = api.post("/auth/password-reset/confirm", json={"token": token, "password": "yet another one"})
    assert again.status_code == 400
    assert problem(again)["code"] == "token_used"
    assert login(api, member, NEW_PASSWORD).status_code == 200


def test_a_token_that_was_never_given_out_is_invalid(api: httpx.Client) -> None:
    refused = api.post("/auth/password-reset/confirm", json={"token": "made-up", "password": NEW_PASSWORD})
    assert refused.status_code == 400
    assert problem(refused)["code"] == "invalid_token"


@pytest.mark.parametrize("password", ["short", "x" * 129])
def test_the_new_password_follows_the_registration_rules(
    api: httpx.Client, members: Members, mail_server: MailServer, password: str
) -> None:
    member = members.create()
    assert api.post("/auth/password-reset", json={"email": member.email}).status_code == 202
    token = reset_token(mail_server, member.email)
    refused = api.post("/auth/password-reset/confirm", json={"token": token, "password": password})
    registering = api.post(
        "/auth/register",
        json={
            "username": unique_username(),
            "email": f"{unique_username()}@example.org",
            "password": password,
        },
    )
    assert refused.status_code == registering.status_code == 422
    assert problem(refused)["code"] == problem(registering)["code"] == "validation_failed"
    assert [error["field"] for error in problem(refused)["errors"]] == ["password"]
    # The token was not used up by the refusal.
    assert (
        api.post("/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}).status_code
        == 204
    )


def test_an_address_gets_three_links_an_hour_and_every_request_the_same_answer(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    answers = [api.post("/auth/password-reset", json={"email": member.email}) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [202] * 4
    assert len({answer.text for answer in answers}) == 1
    assert len(mail_server.wait_for(member.email, template="password_reset", count=3)) == 3
    time.sleep(1.5)  # the mail sender polls every 100 ms: a fourth mail would have come by now
    assert len(mail_server.to(member.email, template="password_reset")) == 3


def test_a_new_link_voids_nothing_but_a_used_one_voids_the_others(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    for _ in range(2):
        assert api.post("/auth/password-reset", json={"email": member.email}).status_code == 202
    first, second = (
        mail.token("/reset-password")
        for mail in mail_server.wait_for(member.email, template="password_reset", count=2)
    )
    confirm = {"token": first, "password": NEW_PASSWORD}
    assert api.post("/auth/password-reset/confirm", json=confirm).status_code == 204
    other = api.post("/auth/password-reset/confirm", json={"token": second, "password": "another passphrase"})
    assert problem(other)["code"] == "token_used"


def test_the_reset_page_asks_for_the_new_password_twice(
    api: httpx.Client, site: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    assert api.post("/auth/password-reset", json={"email": member.email}).status_code == 202
    [mail] = mail_server.wait_for(member.email, template="password_reset")
    token = mail.token("/reset-password")

    page = site.get(mail.link("/reset-password"))
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in page.headers["cache-control"]
    assert 'method="post" action="/reset-password"' in page.text
    assert page.text.count('type="password"') == 2
    assert login(api, member, member.password).status_code == 200  # opening the page changed nothing

    differ = site.post(
        "/reset-password", data={"token": token, "password": NEW_PASSWORD, "password_again": "x"}
    )
    assert differ.status_code == 422
    assert "differ" in differ.text
    assert f'value="{token}"' in differ.text  # the form is shown again, still with its token
    short = site.post(
        "/reset-password", data={"token": token, "password": "short", "password_again": "short"}
    )
    assert short.status_code == 422
    assert "not valid" in short.text

    done = site.post(
        "/reset-password", data={"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 200
    assert "password is changed" in done.text
    assert login(api, member, NEW_PASSWORD).status_code == 200
    assert login(api, member, member.password).status_code == 401

    used = site.post(
        "/reset-password", data={"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert used.status_code == 400
    assert "used already" in used.text


def test_requests_share_the_per_client_budget_of_registering_and_logging_in(api: httpx.Client) -> None:
    statuses = [
        api.post(
            "/auth/password-reset", json={"email": f"{unique_username('guess')}@example.org"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [202] * 10
    assert statuses[10] == 429
    assert api.post("/auth/login", json={"username": "anyone", "password": "anything"}).status_code == 429
