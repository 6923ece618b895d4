"""Verifying an e-mail address: the link mailed at registration and for a new address, the page it
opens (which asks before it acts), resending it, and posting where a deployment requires it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RunningProcess, free_port, gateway_process, start_process
from tests.factories import Member, Members, api_client, unique_username, verify_email
from tests.smtp import MailServer

PASSWORD = "correct horse battery"


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def me(api: httpx.Client, member: Member) -> dict[str, Any]:
    body: dict[str, Any] = api.get("/users/me", headers=member.auth).json()
    return body


def verification_token(mail_server: MailServer, address: str, count: int = 1) -> str:
    """The token of the newest of ``count`` verification mails to ``address``."""
    return mail_server.wait_for(address, template="verify_email", count=count)[-1].token("/verify-email")


@pytest.fixture
def site(gateway_url: str) -> Iterator[httpx.Client]:
    """A browser on the gateway's pages (outside /api/v1)."""
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        yield client


def test_the_registration_mail_links_to_a_page_that_asks_before_it_verifies(
    api: httpx.Client, site: httpx.Client, members: Members, mail_server: MailServer, gateway_url: str
) -> None:
    member = members.create()
    [mail] = mail_server.wait_for(member.email, template="verify_email")
    link = mail.link("/verify-email")
    assert link.startswith(f"{gateway_url}/verify-email?token=")
    assert mail.token("/verify-email") in mail.part("text/html")
    assert me(api, member)["email_verified"] is False

    page = site.get(link)  # what a mail scanner or a link preview does
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in page.headers["cache-control"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert "Confirm my address" in page.text
    assert 'method="post" action="/verify-email"' in page.text
    assert f'value="{mail.token("/verify-email")}"' in page.text
    assert "<script" not in page.text
    assert me(api, member)["email_verified"] is False  # opening the link changed nothing

    verified = api.post("/auth/verify-email", json={"token": mail.token("/verify-email")})
    assert verified.status_code == 204, verified.text
    profile = me(api, member)
    assert (profile["email_verified"], profile["pending_email"], profile["email"]) == (
        True,
        None,
        member.email,
    )


def test_a_verification_token_works_once(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    token = verification_token(mail_server, member.email)
    assert api.post("/auth/verify-email", json={"token": token}).status_code == 204
    again = api.post("/auth/verify-email", json={"token": token})
    assert again.status_code == 400
    assert problem(again)["code"] == "token_used"


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "Zm9v.YmFy"])
def test_a_token_that_was_never_given_out_is_invalid(api: httpx.Client, token: str) -> None:
    refused = api.post("/auth/verify-email", json={"token": token})
    assert refused.status_code == 400
    body = problem(refused)
    assert body["code"] == "invalid_token"
    assert body["errors"] == [{"field": "token", "message": body["detail"]}]


def test_a_verification_body_is_checked_like_any_other(api: httpx.Client) -> None:
    assert problem(api.post("/auth/verify-email", json={}))["code"] == "validation_failed"
    unknown = api.post("/auth/verify-email", json={"token": "t", "extra": 1})
    assert unknown.status_code == 422


def test_resending_mails_a_new_link_until_the_address_is_verified(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    resent = api.post("/auth/verify-email/resend", headers=member.auth)
    assert resent.status_code == 202
    assert "verification mail" in resent.json()["detail"]
    first, second = mail_server.wait_for(member.email, template="verify_email", count=2)
    assert first.token("/verify-email") != second.token("/verify-email")
    assert api.post("/auth/verify-email", json={"token": second.token("/verify-email")}).status_code == 204
    refused = api.post("/auth/verify-email/resend", headers=member.auth)
    assert refused.status_code == 409
    assert problem(refused)["code"] == "email_already_verified"


def test_resending_needs_a_token(api: httpx.Client) -> None:
    assert api.post("/auth/verify-email/resend").status_code == 401


def test_resending_is_limited_per_account(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    statuses = [api.post("/auth/verify-email/resend", headers=member.auth).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    refused = api.post("/auth/verify-email/resend", headers=member.auth)
    assert problem(refused)["code"] == "too_many_verification_mails"
    assert int(refused.headers["retry-after"]) > 0
    assert len(mail_server.wait_for(member.email, template="verify_email", count=4)) == 4  # 1 + 3


def test_a_new_address_counts_only_once_verified(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    new_address = f"{unique_username('moved')}@example.net"
    changed = api.patch(
        "/users/me", headers=member.auth, json={"email": new_address.upper(), "current_password": PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["email"], changed.json()["pending_email"]) == (member.email, new_address)
    # Until then, the old address is the one to log in with.
    assert api.post("/auth/login", json={"username": member.email, "password": PASSWORD}).status_code == 200
    assert api.post("/auth/login", json={"username": new_address, "password": PASSWORD}).status_code == 401

    [mail] = mail_server.wait_for(new_address, template="verify_email")
    assert new_address in mail.text
    assert api.post("/auth/verify-email", json={"token": mail.token("/verify-email")}).status_code == 204
    profile = me(api, member)
    assert (profile["email"], profile["pending_email"], profile["email_verified"]) == (
        new_address,
        None,
        True,
    )
    assert api.post("/auth/login", json={"username": new_address, "password": PASSWORD}).status_code == 200
    assert api.post("/auth/login", json={"username": member.email, "password": PASSWORD}).status_code == 401


def test_a_new_address_taken_before_it_is_verified_is_a_conflict(
    api: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    wanted = f"{unique_username('wanted')}@example.net"
    changed = api.patch(
        "/users/me", headers=member.auth, json={"email": wanted, "current_password": PASSWORD}
    )
    assert changed.status_code == 200
    token = verification_token(mail_server, wanted)
    members.create(email=wanted)  # pending addresses are not reserved
    refused = api.post("/auth/verify-email", json={"token": token})
    assert refused.status_code == 409
    assert problem(refused)["code"] == "email_taken"
    profile = me(api, member)
    assert (profile["email"], profile["pending_email"]) == (member.email, wanted)


def test_the_verification_page_verifies_when_its_button_is_pressed(
    api: httpx.Client, site: httpx.Client, members: Members, mail_server: MailServer
) -> None:
    member = members.create()
    token = verification_token(mail_server, member.email)
    confirmed = site.post("/verify-email", data={"token": token})
    assert confirmed.status_code == 200
    assert confirmed.headers["content-type"].startswith("text/html")
    assert confirmed.headers["referrer-policy"] == "no-referrer"
    assert "is verified" in confirmed.text
    assert me(api, member)["email_verified"] is True
    again = site.post("/verify-email", data={"token": token})
    assert again.status_code == 400
    assert "used already" in again.text


def test_the_verification_page_refuses_a_bad_or_missing_token(site: httpx.Client) -> None:
    bad = site.post("/verify-email", data={"token": "<script>alert(1)</script>"})
    assert bad.status_code == 400
    assert "This link is not valid" in bad.text
    assert "<script>alert" not in bad.text
    assert site.post("/verify-email").status_code == 400
    missing = site.get("/verify-email")
    assert missing.status_code == 400
    assert "Confirm my address" not in missing.text


@pytest.fixture(scope="module")
def verifying_gateway(gateway: RunningProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second gateway on the session's database and services that requires verified addresses."""
    env = {**gateway.env, "FLOCK_GATEWAY_PORT": str(free_port()), "FLOCK_REQUIRE_VERIFIED_EMAIL": "true"}
    running = start_process(gateway_process(env), tmp_path_factory.mktemp("verifying"))
    yield f"http://127.0.0.1:{env['FLOCK_GATEWAY_PORT']}"
    running.stop()


def test_where_required_posting_and_commenting_wait_for_a_verified_address(
    verifying_gateway: str, gateway_url: str, members: Members, mail_server: MailServer
) -> None:
    author, member = members.create(), members.create()
    verify_email(gateway_url, mail_server, author)
    with api_client(verifying_gateway) as api:
        post = api.post("/posts", json={"text": "verified, so allowed"}, headers=author.auth)
        assert post.status_code == 201, post.text
        comments = f"/posts/{post.json()['id']}/comments"

        refused = api.post("/posts", json={"text": "not yet"}, headers=member.auth)
        assert refused.status_code == 403
        assert problem(refused)["code"] == "email_not_verified"
        refused_comment = api.post(comments, json={"text": "not yet"}, headers=member.auth)
        assert problem(refused_comment)["code"] == "email_not_verified"
        assert api.post("/posts", json={"text": "no token"}).status_code == 401

        verify_email(gateway_url, mail_server, member)
        assert api.post("/posts", json={"text": "now allowed"}, headers=member.auth).status_code == 201
        assert api.post(comments, json={"text": "now allowed"}, headers=member.auth).status_code == 201
