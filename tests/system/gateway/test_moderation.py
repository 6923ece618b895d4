"""Moderation through the REST API, against the real services: roles from the command line and the
admin API, suspensions (ending by themselves), disabling, deleting one's account, the audit log."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.moderation.command_line import promote
from tests.conftest import sql
from tests.factories import Member, Members, Posts, api_client, registration


@pytest.fixture
def db_url(system_env: dict[str, str]) -> str:
    return system_env["FLOCK_GATEWAY_DB_URL"]


@pytest.fixture
def make_staff(members: Members, db_url: str) -> Callable[[str], Member]:
    """A new member with ``role``, given by the command line's own code."""

    def make(role: str) -> Member:
        member = members.create()
        asyncio.run(promote(db_url, member.username, role))
        return member

    return make


@pytest.fixture
def admin(make_staff: Callable[[str], Member]) -> Member:
    return make_staff("admin")


@pytest.fixture
def moderator(make_staff: Callable[[str], Member]) -> Member:
    return make_staff("moderator")


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``check()`` holds (what the other services learn through the broker)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.05)


def suspend(api: httpx.Client, staff: Member, username: str, **period: Any) -> httpx.Response:
    body = {"reason": "spam", **(period or {"duration": 3600})}
    return api.post(f"/admin/users/{username}/suspend", json=body, headers=staff.auth)


def test_the_command_line_makes_the_first_admin(members: Members, api: httpx.Client, db_url: str) -> None:
    member = members.create()
    env = {**os.environ, "FLOCK_GATEWAY_DB_URL": db_url}
    command = [sys.executable, "-m", "gateway", "admin", "promote", member.username, "--role", "admin"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "now admin" in done.stdout
    assert api.get("/users/me", headers=member.auth).json()["role"] == "admin"
    assert api.get("/admin/users", headers=member.auth).status_code == 200
    unknown = [sys.executable, "-m", "gateway", "admin", "promote", "nobody_at_all", "--role", "moderator"]
    refused = subprocess.run(unknown, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 1
    assert "no account" in refused.stderr


def test_the_admin_api_needs_staff(api: httpx.Client, members: Members, moderator: Member) -> None:
    member = members.create()
    assert api.get("/admin/users").status_code == 401
    refused = api.get("/admin/users", headers=member.auth)
    assert refused.status_code == 403
    assert refused.json()["code"] == "staff_only"
    assert api.get("/admin/users", headers=moderator.auth).status_code == 200
    # Admin-only: disabling, roles, the audit log.
    assert api.get("/admin/audit", headers=moderator.auth).status_code == 403
    body = {"reason": "x"}
    assert (
        api.post(f"/admin/users/{member.username}/disable", json=body, headers=moderator.auth).status_code
        == 403
    )
    role = {"role": "moderator", "reason": "x"}
    assert (
        api.put(f"/admin/users/{member.username}/role", json=role, headers=moderator.auth).status_code == 403
    )
    assert api.get("/admin/users/nobody_here", headers=moderator.auth).status_code == 404


def test_staff_find_accounts_by_prefix_status_and_role(
    api: httpx.Client, members: Members, admin: Member
) -> None:
    prefix = f"find_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    found = [members.create(username=f"{prefix}_{i}") for i in range(3)]
    assert suspend(api, admin, found[1].username).status_code == 200
    page = api.get("/admin/users", params={"q": prefix, "limit": 2}, headers=admin.auth).json()
    assert [u["username"] for u in page["items"]] == [found[0].username, found[1].username]
    rest = api.get("/admin/users", params={"q": prefix, "cursor": page["next_cursor"]}, headers=admin.auth)
    assert [u["username"] for u in rest.json()["items"]] == [found[2].username]
    suspended = api.get("/admin/users", params={"q": prefix, "status": "suspended"}, headers=admin.auth)
    [item] = suspended.json()["items"]
    assert item["username"] == found[1].username
    assert item["suspended_until"] is not None
    assert item["email_verified"] is False
    assert item["post_count"] == 0
    by_email = api.get("/admin/users", params={"q": found[2].email.upper()[:-3]}, headers=admin.auth)
    assert [u["username"] for u in by_email.json()["items"]] == [found[2].username]
    admins = api.get("/admin/users", params={"role": "admin", "limit": 100}, headers=admin.auth).json()
    assert admin.username in [u["username"] for u in admins["items"]]
    bad = api.get("/admin/users", params={"status": "sleeping"}, headers=admin.auth)
    assert bad.status_code == 422


def test_a_suspended_member_reads_but_cannot_write_until_it_ends(
    api: httpx.Client, members: Members, posts: Posts, moderator: Member, gateway_url: str
) -> None:
    member, other = members.create(), members.create()
    post = posts.create(other)
    answer = suspend(api, moderator, member.username, duration=3)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "suspended"
    # It can log in and read, and see why.
    login = api.post("/auth/login", json={"username": member.username, "password": member.password})
    assert login.status_code == 200
    me = api.get("/users/me", headers=member.auth).json()
    assert me["status"] == "suspended"
    assert me["status_reason"] == "spam"
    assert api.get(f"/posts/{post['id']}", headers=member.auth).status_code == 200
    # But it cannot post, comment, like or follow.
    writes = [
        api.post("/posts", json={"text": "hi"}, headers=member.auth),
        api.post(f"/posts/{post['id']}/comments", json={"text": "hi"}, headers=member.auth),
        api.put(f"/posts/{post['id']}/like", headers=member.auth),
        api.post(f"/users/{other.username}/follow", headers=member.auth),
    ]
    for refused in writes:
        assert refused.status_code == 403, refused.text
        problem = refused.json()
        assert problem["type"] == "/problems/account-suspended"
        assert problem["suspended_until"] == answer.json()["suspended_until"]
    assert httpx.get(f"{gateway_url}/problems/account-suspended").json()["status"] == 403
    # Its profile is hidden from everyone but staff.
    assert api.get(f"/users/{member.username}").status_code == 404
    assert api.get(f"/users/{member.username}", headers=other.auth).status_code == 404
    assert api.get(f"/users/{member.username}", headers=moderator.auth).status_code == 200
    # It ends by itself, with nothing to run.
    eventually(lambda: api.post("/posts", json={"text": "back"}, headers=member.auth).status_code == 201)
    assert api.get(f"/users/{member.username}").status_code == 200
    assert api.get("/users/me", headers=member.auth).json()["status"] == "active"


def test_bad_suspensions_are_refused(
    api: httpx.Client, members: Members, moderator: Member, admin: Member
) -> None:
    member = members.create()
    past = (datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=1)).isoformat()
    cases = {
        "cannot_moderate_self": (moderator, moderator.username, {"reason": "x", "duration": 60}),
        "suspension_in_past": (moderator, member.username, {"reason": "x", "until": past}),
        "suspension_period_required": (moderator, member.username, {"reason": "x"}),
        "reason_required": (moderator, member.username, {"reason": "   ", "duration": 60}),
    }
    for code, (staff, username, body) in cases.items():
        answer = api.post(f"/admin/users/{username}/suspend", json=body, headers=staff.auth)
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["code"] == code
    missing = api.post(
        f"/admin/users/{member.username}/suspend", json={"duration": 60}, headers=moderator.auth
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    both = {"reason": "x", "duration": 60, "until": past}
    assert (
        api.post(f"/admin/users/{member.username}/suspend", json=both, headers=moderator.auth).status_code
        == 422
    )
    permanent = {"reason": "x", "permanent": True}
    by_moderator = api.post(f"/admin/users/{member.username}/suspend", json=permanent, headers=moderator.auth)
    assert by_moderator.status_code == 403
    assert suspend(api, moderator, admin.username).status_code == 403  # moderators act on members
    by_admin = api.post(f"/admin/users/{member.username}/suspend", json=permanent, headers=admin.auth)
    assert by_admin.status_code == 200
    assert by_admin.json()["suspended_until"] is None


def test_lifting_a_suspension(
    api: httpx.Client, members: Members, make_staff: Callable[[str], Member]
) -> None:
    member = members.create()
    first, second, admin = make_staff("moderator"), make_staff("moderator"), make_staff("admin")
    assert suspend(api, first, member.username).status_code == 200
    lift = {"reason": "appeal accepted"}
    refused = api.post(f"/admin/users/{member.username}/unsuspend", json=lift, headers=second.auth)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_your_suspension"
    lifted = api.post(f"/admin/users/{member.username}/unsuspend", json=lift, headers=first.auth)
    assert lifted.status_code == 200
    assert lifted.json()["status"] == "active"
    again = api.post(f"/admin/users/{member.username}/unsuspend", json=lift, headers=admin.auth)
    assert again.status_code == 409
    assert api.post("/posts", json={"text": "free"}, headers=member.auth).status_code == 201


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(
    api: httpx.Client, members: Members, admin: Member
) -> None:
    member = members.create()
    answer = api.post(f"/admin/users/{member.username}/disable", json={"reason": "fraud"}, headers=admin.auth)
    assert answer.status_code == 200
    assert answer.json()["status"] == "disabled"
    assert api.get("/users/me", headers=member.auth).status_code == 401
    assert api.post("/auth/refresh", json={"refresh_token": member.refresh_token}).status_code == 401
    login = api.post("/auth/login", json={"username": member.username, "password": member.password})
    assert login.status_code == 403
    assert login.json()["type"] == "/problems/account-disabled"
    wrong = api.post("/auth/login", json={"username": member.username, "password": "not the password"})
    assert wrong.status_code == 401  # only the password's owner learns the account is disabled
    assert api.get(f"/users/{member.username}").status_code == 404
    back = api.post(
        f"/admin/users/{member.username}/reactivate", json={"reason": "cleared"}, headers=admin.auth
    )
    assert back.status_code == 200
    assert back.json()["status"] == "active"
    assert (
        api.post("/auth/login", json={"username": member.username, "password": member.password}).status_code
        == 200
    )


def test_roles_change_through_the_api_and_count_at_the_next_request(
    api: httpx.Client, members: Members, admin: Member
) -> None:
    member = members.create()
    assert api.get("/admin/users", headers=member.auth).status_code == 403
    body = {"role": "moderator", "reason": "joins the team"}
    answer = api.put(f"/admin/users/{member.username}/role", json=body, headers=admin.auth)
    assert answer.status_code == 200
    assert answer.json()["role"] == "moderator"
    assert api.get("/admin/users", headers=member.auth).status_code == 200  # the same token
    body = {"role": "user", "reason": "left the team"}
    assert api.put(f"/admin/users/{member.username}/role", json=body, headers=admin.auth).status_code == 200
    assert api.get("/admin/users", headers=member.auth).status_code == 403
    bad = api.put(
        f"/admin/users/{member.username}/role", json={"role": "god", "reason": "x"}, headers=admin.auth
    )
    assert bad.status_code == 422


def test_the_last_admin_stays(api: httpx.Client, members: Members, db_url: str) -> None:
    # Alone among admins: every other admin of the session's database is made a user first.
    others = sql(db_url, "SELECT username FROM users WHERE role = 'admin'")
    for row in others:
        sql(db_url, "UPDATE users SET role = 'user' WHERE username = $1", row["username"])
    only = members.create()
    asyncio.run(promote(db_url, only.username, "admin"))
    demote = {"role": "user", "reason": "x"}
    answer = api.put(f"/admin/users/{only.username}/role", json=demote, headers=only.auth)
    assert answer.status_code == 409
    assert answer.json()["code"] == "last_admin"
    with pytest.raises(ValueError, match="last admin"):
        asyncio.run(promote(db_url, only.username, "user"))
    deletion = api.request("DELETE", "/users/me", json={"password": only.password}, headers=only.auth)
    assert deletion.status_code == 409
    second = members.create()
    asyncio.run(promote(db_url, second.username, "admin"))
    assert api.put(f"/admin/users/{only.username}/role", json=demote, headers=second.auth).status_code == 200


def test_every_staff_action_is_in_the_append_only_audit_log(
    api: httpx.Client, members: Members, admin: Member, moderator: Member, db_url: str, gateway_url: str
) -> None:
    member = members.create()
    assert suspend(api, moderator, member.username, duration=60).status_code == 200
    lift = {"reason": "mistake"}
    assert (
        api.post(f"/admin/users/{member.username}/unsuspend", json=lift, headers=moderator.auth).status_code
        == 200
    )
    role = {"role": "moderator", "reason": "promoted"}
    assert api.put(f"/admin/users/{member.username}/role", json=role, headers=admin.auth).status_code == 200
    log = api.get("/admin/audit", params={"target_id": member.id}, headers=admin.auth)
    assert log.status_code == 200
    entries = log.json()["items"]
    assert [e["action"] for e in entries] == ["role_change", "unsuspend", "suspend"]  # newest first
    suspended = entries[2]
    assert suspended["actor_id"] == moderator.id
    assert suspended["actor_username"] == moderator.username
    assert suspended["reason"] == "spam"
    assert suspended["before"]["status"] == "active"
    assert suspended["after"]["status"] == "suspended"
    assert entries[0]["before"] == {"role": "user"}
    assert entries[0]["after"] == {"role": "moderator"}
    by_actor = api.get(
        "/admin/audit", params={"actor": moderator.username, "action": "suspend"}, headers=admin.auth
    ).json()["items"]
    assert [e["target_id"] for e in by_actor] == [member.id]
    future = (datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=1)).isoformat()
    later = api.get("/admin/audit", params={"target_id": member.id, "since": future}, headers=admin.auth)
    assert later.json()["items"] == []
    paged = api.get("/admin/audit", params={"target_id": member.id, "limit": 2}, headers=admin.auth).json()
    rest = api.get(
        "/admin/audit", params={"target_id": member.id, "cursor": paged["next_cursor"]}, headers=admin.auth
    ).json()
    assert [e["id"] for e in paged["items"] + rest["items"]] == [e["id"] for e in entries]
    # No route changes an entry, and the database refuses it whoever asks.
    paths = httpx.get(f"{gateway_url}/docs/openapi.json").json()["paths"]
    audit_routes = {path: set(item) for path, item in paths.items() if path.startswith("/api/v1/admin/audit")}
    assert audit_routes == {"/api/v1/admin/audit": {"get"}}
    for statement in (
        "UPDATE audit_log SET reason = 'nothing happened' WHERE target_id = $1",
        "DELETE FROM audit_log WHERE target_id = $1",
    ):
        with pytest.raises(Exception, match="append-only"):
            sql(db_url, statement, member.id)
    with pytest.raises(Exception, match="append-only"):
        sql(db_url, "TRUNCATE audit_log")
    assert len(sql(db_url, "SELECT 1 FROM audit_log WHERE target_id = $1", member.id)) == 3


def test_a_member_deletes_their_account(
    api: httpx.Client, members: Members, posts: Posts, gateway_url: str
) -> None:
    member, friend = members.create(), members.create()
    assert api.post(f"/users/{member.username}/follow", headers=friend.auth).status_code == 200
    posts.create(member)
    wrong = api.request("DELETE", "/users/me", json={"password": "not it at all"}, headers=member.auth)
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "password_incorrect"
    assert api.request("DELETE", "/users/me", json={}, headers=member.auth).status_code == 422
    deleted = api.request("DELETE", "/users/me", json={"password": member.password}, headers=member.auth)
    assert deleted.status_code == 204, deleted.text
    assert api.get("/users/me", headers=member.auth).status_code == 401
    login = api.post("/auth/login", json={"username": member.username, "password": member.password})
    assert login.status_code == 401
    assert api.get(f"/users/{member.username}").status_code == 404
    assert api.get("/users/me/following", headers=friend.auth).json()["items"] == []
    # The username stays taken for 30 days; the e-mail address is free at once.
    again = registration(username=member.username)
    with api_client(gateway_url) as fresh:
        assert fresh.post("/auth/register", json=again).status_code == 409
        reuse = registration(email=member.email)
        assert fresh.post("/auth/register", json=reuse).status_code == 202
    # Its posts go too (the posts service learns it from the broker).
    eventually(lambda: api.get(f"/users/{member.username}/posts").status_code == 404)


def test_a_deleted_username_is_free_after_30_days(
    api: httpx.Client, members: Members, db_url: str, gateway_url: str
) -> None:
    member = members.create()
    assert (
        api.request(
            "DELETE", "/users/me", json={"password": member.password}, headers=member.auth
        ).status_code
        == 204
    )
    sql(
        db_url,
        "UPDATE users SET deleted_at = now() - interval '31 days' WHERE username = $1",
        member.username,
    )
    with api_client(gateway_url) as fresh:
        assert fresh.post("/auth/register", json=registration(username=member.username)).status_code == 202
    [old] = sql(db_url, "SELECT username, status FROM users WHERE id = $1", member.id)
    assert old["status"] == "deleted"
    assert old["username"].startswith("_")
