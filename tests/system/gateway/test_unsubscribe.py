"""Turning off mail about new posts from a mail's links: the RFC 8058 one-click address that mail
clients POST to, and the page with a button; and the setting itself on /users/me."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.mail.links import Links
from tests.conftest import JWT_SECRET
from tests.factories import Member, Members

ONE_CLICK = "List-Unsubscribe=One-Click"


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def new_posts_mail(api: httpx.Client, member: Member) -> str:
    return str(api.get("/users/me", headers=member.auth).json()["email_new_posts"])


@pytest.fixture
def links(gateway_url: str) -> Links:
    """The links the gateway's mails carry (the tests know its secret)."""
    return Links(gateway_url, JWT_SECRET)


@pytest.fixture
def site(gateway_url: str) -> Iterator[httpx.Client]:
    """A browser on the gateway's pages (outside /api/v1)."""
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        yield client


def test_new_post_mail_is_instant_by_default_and_can_be_changed(api: httpx.Client, members: Members) -> None:
    member = members.create()
    assert new_posts_mail(api, member) == "instant"
    for choice in ("daily", "off", "instant"):
        changed = api.patch("/users/me", headers=member.auth, json={"email_new_posts": choice})
        assert changed.status_code == 200, changed.text
        assert changed.json()["email_new_posts"] == choice
        assert new_posts_mail(api, member) == choice


@pytest.mark.parametrize("value", ["weekly", "", None, 1])
def test_an_unknown_choice_is_refused(api: httpx.Client, members: Members, value: object) -> None:
    member = members.create()
    refused = api.patch("/users/me", headers=member.auth, json={"email_new_posts": value})
    assert refused.status_code == 422
    body = problem(refused)
    assert body["code"] == "validation_failed"
    assert [error["field"] for error in body["errors"]] == ["email_new_posts"]
    assert new_posts_mail(api, member) == "instant"


def test_a_mail_client_unsubscribes_with_one_click(
    api: httpx.Client, members: Members, links: Links, gateway_url: str
) -> None:
    member = members.create()
    url = links.unsubscribe_one_click(uuid.UUID(member.id))
    assert url.startswith(f"{gateway_url}/api/v1/mail/unsubscribe?token=")
    # As RFC 8058 has it: a POST, form-encoded, no cookies, no token.
    with httpx.Client(timeout=10) as mail_client:
        answer = mail_client.post(
            url, content=ONE_CLICK, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"unsubscribed": "new_posts"}
    assert new_posts_mail(api, member) == "off"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"content": b""},
        {"content": ONE_CLICK, "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
        {"json": {}},
    ],
    ids=["no body", "empty body", "another content type", "json"],
)
def test_one_click_accepts_any_body_or_none(
    api: httpx.Client, members: Members, links: Links, body: dict[str, Any]
) -> None:
    member = members.create()
    token = links.unsubscribe_token(uuid.UUID(member.id))
    answer = api.post("/mail/unsubscribe", params={"token": token}, **body)
    assert answer.status_code == 200, answer.text
    assert new_posts_mail(api, member) == "off"
    # Once more is the same: nothing left to turn off.
    assert api.post("/mail/unsubscribe", params={"token": token}).json() == {"unsubscribed": "new_posts"}


def test_an_unsubscribe_token_that_is_not_ours_is_refused(
    api: httpx.Client, members: Members, links: Links, gateway_url: str
) -> None:
    member = members.create()
    genuine = links.unsubscribe_token(uuid.UUID(member.id))
    forged = Links(gateway_url, "another secret " * 4).unsubscribe_token(uuid.UUID(member.id))
    tampered = links.unsubscribe_token(uuid.uuid4()).split(".")[0] + "." + genuine.split(".")[1]
    for token in (forged, tampered, "garbage", genuine + "x"):
        refused = api.post("/mail/unsubscribe", params={"token": token})
        assert refused.status_code == 400, token
        assert problem(refused)["code"] == "invalid_unsubscribe_token"
    assert new_posts_mail(api, member) == "instant"


def test_one_click_refuses_what_it_does_not_read(api: httpx.Client) -> None:
    assert problem(api.post("/mail/unsubscribe"))["code"] == "validation_failed"  # no token
    unknown = api.post("/mail/unsubscribe", params={"token": "t", "list": "all"})
    assert unknown.status_code == 422
    assert [error["field"] for error in problem(unknown)["errors"]] == ["list"]


def test_the_unsubscribe_page_asks_and_its_button_unsubscribes(
    api: httpx.Client, site: httpx.Client, members: Members, links: Links
) -> None:
    member = members.create()
    page = site.get(links.unsubscribe_page(uuid.UUID(member.id)))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'method="post" action="/unsubscribe"' in page.text
    assert "<button" in page.text
    assert new_posts_mail(api, member) == "instant"  # opening the link changed nothing

    done = site.post("/unsubscribe", data={"token": links.unsubscribe_token(uuid.UUID(member.id))})
    assert done.status_code == 200
    assert "You will get no more mail about new posts" in done.text
    assert "PATCH /api/v1/users/me" in done.text
    assert "email_new_posts" in done.text
    assert new_posts_mail(api, member) == "off"


def test_the_unsubscribe_page_refuses_a_bad_token(site: httpx.Client) -> None:
    refused = site.post("/unsubscribe", data={"token": "garbage"})
    assert refused.status_code == 400
    assert "not valid" in refused.text
    assert site.get("/unsubscribe").status_code == 400
