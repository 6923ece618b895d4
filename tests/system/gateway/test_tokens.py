"""Access tokens, refresh rotation, replay detection and logout, through the REST API."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import JWT_SECRET, RunningProcess, sql
from tests.factories import Member, Members


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] in {"unauthenticated", "invalid_refresh_token", "refresh_token_reused"}


def login(api: httpx.Client, member: Member) -> dict[str, Any]:
    response = api.post("/auth/login", json={"username": member.username, "password": member.password})
    assert response.status_code == 200
    return dict(response.json())


# --- access tokens ------------------------------------------------------------------------------


def test_requests_without_a_token_are_refused(api: httpx.Client) -> None:
    assert_unauthenticated(api.get("/users/me"))
    assert_unauthenticated(api.get("/users/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}))
    assert_unauthenticated(api.get("/users/me", headers={"Authorization": "Bearer"}))


def test_an_expired_token_is_refused(api: httpx.Client, members: Members) -> None:
    member = members.create()
    claims = claims_of(member.access_token)
    now = int(time.time())
    expired = jwt.encode({**claims, "iat": now - 1000, "exp": now - 100}, JWT_SECRET, algorithm="HS256")
    assert_unauthenticated(api.get("/users/me", headers=bearer(expired)))
    # The same claims, still valid in time, are accepted: expiry was the only difference.
    fresh = jwt.encode({**claims, "iat": now, "exp": now + 100}, JWT_SECRET, algorithm="HS256")
    assert api.get("/users/me", headers=bearer(fresh)).status_code == 200


def test_a_tampered_token_is_refused(api: httpx.Client, members: Members) -> None:
    victim, attacker = members.create(), members.create()
    header, payload, signature = attacker.access_token.split(".")
    # Swap in the victim's claims but keep the attacker's signature.
    forged_payload = jwt.encode(claims_of(victim.access_token), "k" * 40, algorithm="HS256").split(".")[1]
    assert_unauthenticated(api.get("/users/me", headers=bearer(f"{header}.{forged_payload}.{signature}")))
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert_unauthenticated(api.get("/users/me", headers=bearer(f"{header}.{payload}.{flipped}")))
    assert_unauthenticated(api.get("/users/me", headers=bearer("not.a.jwt")))


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda c: jwt.encode(c, "another secret of 32+ characters!!", algorithm="HS256"), id="other-key"
        ),
        pytest.param(lambda c: jwt.encode(c, JWT_SECRET, algorithm="HS512"), id="other-algorithm"),
        pytest.param(lambda c: jwt.encode(c, None, algorithm="none"), id="alg-none"),
        pytest.param(
            lambda c: jwt.encode({k: v for k, v in c.items() if k != "exp"}, JWT_SECRET, algorithm="HS256"),
            id="no-exp",
        ),
        pytest.param(
            lambda c: jwt.encode({k: v for k, v in c.items() if k != "iat"}, JWT_SECRET, algorithm="HS256"),
            id="no-iat",
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "sub": "not-a-uuid"}, JWT_SECRET, algorithm="HS256"), id="bad-sub"
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "iss": "someone"}, JWT_SECRET, algorithm="HS256"), id="other-issuer"
        ),
    ],
)
def test_tokens_not_minted_by_us_exactly_are_refused(api: httpx.Client, members: Members, forge: Any) -> None:
    member = members.create()
    assert_unauthenticated(api.get("/users/me", headers=bearer(forge(claims_of(member.access_token)))))


# --- refresh ------------------------------------------------------------------------------------


def test_refresh_returns_a_new_pair_and_retires_the_old_token(api: httpx.Client, members: Members) -> None:
    member = members.create()
    response = api.post("/auth/refresh", json={"refresh_token": member.refresh_token})
    assert response.status_code == 200
    pair = response.json()
    assert pair["refresh_token"] != member.refresh_token
    assert claims_of(pair["access_token"])["sid"] == claims_of(member.access_token)["sid"]
    assert api.get("/users/me", headers=bearer(pair["access_token"])).json()["id"] == member.id
    # The new refresh token works in turn.
    assert api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 200


def test_replaying_a_rotated_refresh_token_revokes_the_whole_session(
    api: httpx.Client, members: Members
) -> None:
    member = members.create()
    other_session = login(api, member)
    child = api.post("/auth/refresh", json={"refresh_token": member.refresh_token}).json()
    grandchild = api.post("/auth/refresh", json={"refresh_token": child["refresh_token"]}).json()

    replay = api.post("/auth/refresh", json={"refresh_token": member.refresh_token})
    assert_unauthenticated(replay)
    assert replay.json()["code"] == "refresh_token_reused"
    # Every descendant of the replayed token is dead, and so are the session's access tokens.
    assert_unauthenticated(api.post("/auth/refresh", json={"refresh_token": grandchild["refresh_token"]}))
    assert_unauthenticated(api.get("/users/me", headers=bearer(grandchild["access_token"])))
    # The member's other session is untouched.
    assert api.get("/users/me", headers=bearer(other_session["access_token"])).status_code == 200
    assert (
        api.post("/auth/refresh", json={"refresh_token": other_session["refresh_token"]}).status_code == 200
    )


def test_unknown_and_expired_refresh_tokens_are_refused(
    api: httpx.Client, members: Members, gateway: RunningProcess
) -> None:
    assert (
        api.post("/auth/refresh", json={"refresh_token": "made-up"}).json()["code"] == "invalid_refresh_token"
    )
    member = members.create()
    sql(
        gateway.env["FLOCK_GATEWAY_DB_URL"],
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1::uuid",
        claims_of(member.access_token)["sid"],
    )
    expired = api.post("/auth/refresh", json={"refresh_token": member.refresh_token})
    assert_unauthenticated(expired)
    assert expired.json()["code"] == "invalid_refresh_token"


def test_refresh_tokens_are_stored_only_as_digests(members: Members, gateway: RunningProcess) -> None:
    member = members.create()
    rows = sql(
        gateway.env["FLOCK_GATEWAY_DB_URL"],
        "SELECT token_hash FROM refresh_tokens WHERE session_id = $1::uuid",
        claims_of(member.access_token)["sid"],
    )
    assert len(rows) == 1
    assert rows[0]["token_hash"] != member.refresh_token
    assert len(rows[0]["token_hash"]) == 64


def test_refresh_body_is_validated(api: httpx.Client) -> None:
    assert api.post("/auth/refresh", json={}).status_code == 422
    assert api.post("/auth/refresh", json={"refresh_token": ""}).status_code == 422
    assert api.post("/auth/refresh", json={"refresh_token": "x" * 201}).status_code == 422


# --- logout -------------------------------------------------------------------------------------


def test_logout_ends_the_session_at_once(api: httpx.Client, members: Members) -> None:
    member = members.create()
    other_session = login(api, member)
    assert api.post("/auth/logout", json={"refresh_token": member.refresh_token}).status_code == 204
    assert_unauthenticated(api.get("/users/me", headers=member.auth))
    assert_unauthenticated(api.post("/auth/refresh", json={"refresh_token": member.refresh_token}))
    assert api.get("/users/me", headers=bearer(other_session["access_token"])).status_code == 200


def test_logout_is_idempotent_and_reveals_nothing_about_unknown_tokens(
    api: httpx.Client, members: Members
) -> None:
    member = members.create()
    assert api.post("/auth/logout", json={"refresh_token": member.refresh_token}).status_code == 204
    assert api.post("/auth/logout", json={"refresh_token": member.refresh_token}).status_code == 204
    assert api.post("/auth/logout", json={"refresh_token": "never-issued"}).status_code == 204


def test_a_session_ends_at_its_maximum_age_however_often_refreshed(
    api: httpx.Client, members: Members, gateway: RunningProcess
) -> None:
    member = members.create()
    sql(
        gateway.env["FLOCK_GATEWAY_DB_URL"],
        "UPDATE auth_sessions SET created_at = now() - interval '90 days' WHERE id = $1::uuid",
        claims_of(member.access_token)["sid"],
    )
    response = api.post("/auth/refresh", json={"refresh_token": member.refresh_token})
    assert_unauthenticated(response)
    assert response.json()["code"] == "invalid_refresh_token"


def test_refresh_tokens_never_outlive_their_session(
    api: httpx.Client, members: Members, gateway: RunningProcess
) -> None:
    member = members.create()
    sql(
        gateway.env["FLOCK_GATEWAY_DB_URL"],
        "UPDATE auth_sessions SET created_at = now() - interval '80 days' WHERE id = $1::uuid",
        claims_of(member.access_token)["sid"],
    )
    pair = api.post("/auth/refresh", json={"refresh_token": member.refresh_token}).json()
    assert 9 * 86400 < pair["refresh_expires_in"] <= 10 * 86400
