"""POST /auth/login: credentials in, a token pair out, and nothing learned from a failure."""

from __future__ import annotations

import httpx
import jwt

from tests.factories import Members


def test_login_by_username_returns_a_bearer_token_pair(api: httpx.Client, members: Members) -> None:
    member = members.create()
    response = api.post(
        "/auth/login", json={"username": member.username.upper(), "password": member.password}
    )
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_expires_in"] == 30 * 86400
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["sub"] == member.id
    assert claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "HS256"
    me = api.get("/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["username"] == member.username


def test_login_by_email_ignores_case(api: httpx.Client, members: Members) -> None:
    member = members.create()
    response = api.post("/auth/login", json={"username": member.email.upper(), "password": member.password})
    assert response.status_code == 200


def test_each_login_opens_a_separate_session(api: httpx.Client, members: Members) -> None:
    member = members.create()
    credentials = {"username": member.username, "password": member.password}
    first = api.post("/auth/login", json=credentials).json()
    second = api.post("/auth/login", json=credentials).json()
    sid = [jwt.decode(t["access_token"], options={"verify_signature": False})["sid"] for t in (first, second)]
    assert sid[0] != sid[1]
    assert first["refresh_token"] != second["refresh_token"]


def without_request_id(body: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in body.items() if key != "request_id"}


def test_wrong_password_and_unknown_user_get_the_same_answer(api: httpx.Client, members: Members) -> None:
    member = members.create()
    wrong_password = api.post("/auth/login", json={"username": member.username, "password": "not the one"})
    unknown_user = api.post("/auth/login", json={"username": "nobody_at_all", "password": "not the one"})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.headers["www-authenticate"] == "Bearer"
    assert without_request_id(wrong_password.json()) == without_request_id(unknown_user.json())
    assert wrong_password.json()["code"] == "invalid_credentials"


def test_login_needs_both_fields(api: httpx.Client) -> None:
    response = api.post("/auth/login", json={"username": "someone"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


def test_oversized_password_is_rejected_before_hashing(api: httpx.Client) -> None:
    response = api.post("/auth/login", json={"username": "someone", "password": "p" * 129})
    assert response.status_code == 422
