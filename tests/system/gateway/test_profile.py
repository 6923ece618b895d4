"""GET/PATCH /users/me and GET /users/{username}."""

from __future__ import annotations

import httpx

from tests.factories import Members


def test_me_shows_the_private_details_of_my_own_account(api: httpx.Client, members: Members) -> None:
    member = members.create(display_name="Grace")
    me = api.get("/users/me", headers=member.auth)
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == member.id
    assert body["email"] == member.email
    assert body["role"] == "user"
    assert body["display_name"] == "Grace"
    assert "password_hash" not in body
    assert "password" not in body


def test_a_public_profile_shows_no_private_details(api: httpx.Client, members: Members) -> None:
    member = members.create(display_name="Grace")
    profile = api.get(f"/users/{member.username.upper()}")  # no token needed, any case
    assert profile.status_code == 200
    assert profile.json() == {
        "id": member.id,
        "username": member.username,
        "display_name": "Grace",
        "bio": "",
        "is_private": False,
        "created_at": profile.json()["created_at"],
        "follower_count": 0,
        "following_count": 0,
    }


def test_an_unknown_user_is_404(api: httpx.Client) -> None:
    response = api.get("/users/no_such_user_here")
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


def test_profile_fields_can_be_changed(api: httpx.Client, members: Members) -> None:
    member = members.create()
    before = api.get("/users/me", headers=member.auth).json()
    response = api.patch(
        "/users/me",
        headers=member.auth,
        json={"display_name": " Ada ", "bio": "Analyst.", "is_private": True},
    )
    assert response.status_code == 200
    after = response.json()
    assert (after["display_name"], after["bio"], after["is_private"]) == ("Ada", "Analyst.", True)
    assert after["updated_at"] > before["updated_at"]
    public = api.get(f"/users/{member.username}").json()
    assert (public["display_name"], public["bio"], public["is_private"]) == ("Ada", "Analyst.", True)


def test_absent_fields_stay_unchanged(api: httpx.Client, members: Members) -> None:
    member = members.create(display_name="Keep")
    api.patch("/users/me", headers=member.auth, json={"bio": "New bio"})
    me = api.patch("/users/me", headers=member.auth, json={}).json()
    assert (me["display_name"], me["bio"], me["email"]) == ("Keep", "New bio", member.email)


def test_invalid_changes_are_rejected_and_nothing_changes(api: httpx.Client, members: Members) -> None:
    member = members.create(display_name="Keep")
    response = api.patch(
        "/users/me",
        headers=member.auth,
        json={"display_name": "d" * 51, "bio": "b" * 301, "is_private": "yes", "role": "admin"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"display_name", "bio", "is_private", "role"}
    me = api.get("/users/me", headers=member.auth).json()
    assert (me["display_name"], me["role"], me["is_private"]) == ("Keep", "user", False)


def test_changing_email_needs_the_current_password(api: httpx.Client, members: Members) -> None:
    member = members.create()
    new_email = f"new_{member.username}@example.org"
    missing = api.patch("/users/me", headers=member.auth, json={"email": new_email})
    assert (missing.status_code, missing.json()["code"]) == (422, "current_password_required")
    wrong = api.patch(
        "/users/me", headers=member.auth, json={"email": new_email, "current_password": "nope nope"}
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "current_password_incorrect")
    assert api.get("/users/me", headers=member.auth).json()["email"] == member.email

    changed = api.patch(
        "/users/me",
        headers=member.auth,
        json={"email": new_email.upper(), "current_password": member.password},
    )
    assert changed.status_code == 200
    # The new address counts once the link mailed to it is followed (test_email_verification.py).
    assert changed.json()["email"] == member.email
    assert changed.json()["pending_email"] == new_email


def test_an_email_in_use_cannot_be_taken(api: httpx.Client, members: Members) -> None:
    first, second = members.create(), members.create()
    response = api.patch(
        "/users/me", headers=second.auth, json={"email": first.email, "current_password": second.password}
    )
    assert (response.status_code, response.json()["code"]) == (409, "email_taken")


def test_changing_password_ends_every_other_session(api: httpx.Client, members: Members) -> None:
    member = members.create()
    other = api.post("/auth/login", json={"username": member.username, "password": member.password}).json()
    new_password = "a much better password"
    response = api.patch(
        "/users/me", headers=member.auth, json={"password": new_password, "current_password": member.password}
    )
    assert response.status_code == 200
    # This session goes on; the other one is over, access and refresh alike.
    assert api.get("/users/me", headers=member.auth).status_code == 200
    assert api.post("/auth/refresh", json={"refresh_token": member.refresh_token}).status_code == 200
    assert (
        api.get("/users/me", headers={"Authorization": f"Bearer {other['access_token']}"}).status_code == 401
    )
    assert api.post("/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 401
    # Only the new password logs in.
    old = api.post("/auth/login", json={"username": member.username, "password": member.password})
    assert old.status_code == 401
    new = api.post("/auth/login", json={"username": member.username, "password": new_password})
    assert new.status_code == 200


def test_changing_password_needs_the_current_one(api: httpx.Client, members: Members) -> None:
    member = members.create()
    response = api.patch("/users/me", headers=member.auth, json={"password": "another good one"})
    assert (response.status_code, response.json()["code"]) == (422, "current_password_required")
    too_short = api.patch(
        "/users/me", headers=member.auth, json={"password": "short", "current_password": member.password}
    )
    assert too_short.status_code == 422
    assert (
        api.post("/auth/login", json={"username": member.username, "password": member.password}).status_code
        == 200
    )


def test_profile_changes_need_a_token(api: httpx.Client) -> None:
    assert api.patch("/users/me", json={"bio": "x"}).status_code == 401
