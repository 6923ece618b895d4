"""POST /auth/register: who may register, and what they get back."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import pytest

from tests.factories import api_client, registration, unique_username


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def error_fields(response: httpx.Response) -> set[str]:
    return {error["field"] for error in problem(response)["errors"]}


def test_register_accepts_and_the_account_has_a_public_profile(api: httpx.Client) -> None:
    body = registration(display_name="  Ada Lovelace  ")
    response = api.post("/auth/register", json=body)
    assert response.status_code == 202
    assert response.json()["username"] == body["username"].lower()
    assert "location" not in response.headers
    profile = api.get(f"/users/{body['username']}").json()
    assert profile["username"] == body["username"]
    assert profile["display_name"] == "Ada Lovelace"
    assert profile["bio"] == ""
    assert profile["is_private"] is False
    assert set(profile) == {
        "id",
        "username",
        "display_name",
        "bio",
        "is_private",
        "created_at",
        "follower_count",
        "following_count",
    }
    assert profile["follower_count"] == profile["following_count"] == 0


def test_usernames_are_stored_lower_case_and_unique_case_insensitively(api: httpx.Client) -> None:
    name = unique_username("Mixed")
    first = api.post("/auth/register", json=registration(username=name))
    assert first.status_code == 202
    assert first.json()["username"] == name.lower()
    again = api.post("/auth/register", json=registration(username=name.upper()))
    assert again.status_code == 409
    assert problem(again)["code"] == "username_taken"
    assert error_fields(again) == {"username"}


def test_emails_are_unique_case_insensitively(api: httpx.Client) -> None:
    email = f"{unique_username()}@Example.org"
    assert api.post("/auth/register", json=registration(email=email)).status_code == 202
    second = registration(email=email.upper())
    assert api.post("/auth/register", json=second).status_code == 202
    assert api.get(f"/users/{second['username']}").status_code == 404  # nothing was created
    refused = api.post("/auth/login", json={"username": second["username"], "password": second["password"]})
    assert refused.status_code == 401


def test_a_taken_email_address_is_answered_as_a_free_one(api: httpx.Client) -> None:
    taken = f"{unique_username()}@example.org"
    assert api.post("/auth/register", json=registration(email=taken)).status_code == 202
    free, reused = registration(), registration(email=taken)
    answers = [api.post("/auth/register", json=body) for body in (free, reused)]
    assert [a.status_code for a in answers] == [202, 202]
    assert [set(a.headers) - {"x-request-id", "date", "ratelimit-remaining"} for a in answers] == [
        set(answers[0].headers) - {"x-request-id", "date", "ratelimit-remaining"}
    ] * 2
    assert [a.json()["detail"] for a in answers] == [answers[0].json()["detail"]] * 2


def test_a_taken_username_is_still_reported_even_with_a_taken_email(api: httpx.Client) -> None:
    first = registration()
    assert api.post("/auth/register", json=first).status_code == 202
    both = api.post("/auth/register", json=registration(username=first["username"], email=first["email"]))
    assert both.status_code == 409
    assert problem(both)["code"] == "username_taken"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "a" * 31),
        ("username", "has-dash"),
        ("username", "has space"),
        ("username", "ünïcode"),
        ("username", ""),
        ("email", "no-at-sign"),
        ("email", "a@b"),
        ("email", "two@@example.org"),
        ("email", "x" * 250 + "@example.org"),
        ("password", "short77"),
        ("password", "p" * 129),
        ("display_name", "d" * 51),
        ("username", 12345),
        ("password", None),
        ("email", ["a@example.org"]),
    ],
)
def test_each_invalid_field_is_rejected_and_named(api: httpx.Client, field: str, value: object) -> None:
    response = api.post("/auth/register", json=registration(**{field: value}))
    assert response.status_code == 422
    assert problem(response)["code"] == "validation_failed"
    assert error_fields(response) == {field}


def test_boundary_lengths_are_accepted(api: httpx.Client) -> None:
    for body in (
        registration(username=unique_username("b")[:3].rstrip("_") + "x"),
        registration(username=("u" + unique_username())[:30]),
        registration(password="p" * 8),
        registration(password="p" * 128),
        registration(display_name="d" * 50),
    ):
        response = api.post("/auth/register", json=body)
        assert response.status_code in (202, 409), response.text  # 3-char names may already exist


def test_every_invalid_field_is_listed_at_once(api: httpx.Client) -> None:
    response = api.post(
        "/auth/register", json={"username": "x", "email": "nope", "password": "short", "colour": "red"}
    )
    assert response.status_code == 422
    assert error_fields(response) == {"username", "email", "password", "colour"}


def test_missing_fields_are_named(api: httpx.Client) -> None:
    response = api.post("/auth/register", json={"email": "someone@example.org"})
    assert response.status_code == 422
    assert error_fields(response) == {"username", "password"}


def test_reserved_usernames_cannot_be_registered(api: httpx.Client) -> None:
    response = api.post("/auth/register", json=registration(username="Admin"))
    assert response.status_code == 422
    assert problem(response)["code"] == "username_reserved"


def test_simultaneous_registrations_of_one_username_create_one_account(gateway_url: str) -> None:
    name = unique_username("race")

    def register(index: int) -> int:
        with api_client(gateway_url) as client:
            body = registration(username=name, email=f"{name}_{index}@example.org")
            return client.post("/auth/register", json=body).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(register, range(8)))
    assert statuses == [202] + [409] * 7
