"""A suspended account's content is gone from every read path for everyone but staff, and back
unchanged when the suspension is lifted; staff read and remove anything; reports end to end. Through
the REST API, against the real gateway, posts and stats services and the broker between them."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.moderation.command_line import promote
from tests.factories import Member, Members, Posts


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.05)


@pytest.fixture
def staff(members: Members, system_env: dict[str, str]) -> Callable[[str], Member]:
    def make(role: str) -> Member:
        member = members.create()
        asyncio.run(promote(system_env["FLOCK_GATEWAY_DB_URL"], member.username, role))
        return member

    return make


def _ids(body: dict[str, Any], key: str = "items") -> list[str]:
    return [item["id"] for item in body[key]]


def test_a_suspended_authors_content_is_hidden_everywhere_then_back(
    api: httpx.Client, members: Members, posts: Posts, staff: Callable[[str], Member]
) -> None:
    author, reader = members.create(), members.create()
    moderator = staff("moderator")
    word = f"zq{secrets.token_hex(4)}"
    assert api.post(f"/users/{author.username}/follow", headers=reader.auth).status_code == 200
    post = posts.create(author, f"hello {word}")
    other = posts.create(reader, "a post of the reader")
    comment = api.post(f"/posts/{other['id']}/comments", json={"text": "by the author"}, headers=author.auth)
    assert comment.status_code == 201
    assert api.put(f"/posts/{post['id']}/like", headers=reader.auth).status_code == 200

    def reads(member: Member | None) -> dict[str, bool]:
        """What ``member`` (None: anonymous) sees of the author's content, read path by read path."""
        auth = member.auth if member else {}
        single = api.get(f"/posts/{post['id']}", headers=auth).status_code == 200
        wall = api.get(f"/users/{author.username}/posts", headers=auth)
        comments = api.get(f"/posts/{other['id']}/comments", headers=auth).json()["items"]
        found = api.get("/search", params={"q": word, "type": "posts"}, headers=auth).json()["posts"]
        seen = {
            "post": single,
            "wall": wall.status_code == 200 and post["id"] in _ids(wall.json()),
            "comments": any(c["id"] == comment.json()["id"] for c in comments),
            "search": post["id"] in [p["id"] for p in found],
        }
        if member is reader:
            seen["feed"] = post["id"] in _ids(api.get("/feed", headers=auth).json())
            seen["likes"] = post["id"] in _ids(api.get("/users/me/likes", headers=auth).json())
        return seen

    assert all(reads(reader).values())
    suspended = api.post(
        f"/admin/users/{author.username}/suspend",
        json={"reason": "spam", "duration": 3600},
        headers=moderator.auth,
    )
    assert suspended.status_code == 200
    eventually(lambda: not any(reads(reader).values()))
    assert not any(reads(None).values())
    assert api.get(f"/users/{author.username}").status_code == 404
    assert author.username not in [
        u["user"]["username"] for u in api.get("/users/me/following", headers=reader.auth).json()["items"]
    ]
    # A like or a comment on it is as if it did not exist.
    assert (
        api.post(f"/posts/{post['id']}/comments", json={"text": "x"}, headers=reader.auth).status_code == 404
    )
    # Staff see all of it.
    assert all(reads(moderator).values())
    lifted = api.post(
        f"/admin/users/{author.username}/unsuspend", json={"reason": "appeal"}, headers=moderator.auth
    )
    assert lifted.status_code == 200
    eventually(lambda: all(reads(reader).values()))
    back = api.get(f"/posts/{post['id']}", headers=reader.auth).json()
    assert back["text"] == f"hello {word}"
    assert back["like_count"] == 1


def test_staff_read_private_posts_and_remove_anything_with_a_reason(
    api: httpx.Client, members: Members, posts: Posts, staff: Callable[[str], Member], gateway_url: str
) -> None:
    author, other = members.create(), members.create()
    moderator, admin = staff("moderator"), staff("admin")
    private = posts.create(author, "only me", visibility="private")
    assert api.get(f"/posts/{private['id']}", headers=other.auth).status_code == 404
    assert api.get(f"/posts/{private['id']}", headers=moderator.auth).status_code == 200
    comment = api.post(f"/posts/{private['id']}/comments", json={"text": "note to self"}, headers=author.auth)
    no_reason = api.post(f"/admin/posts/{private['id']}/remove", json={}, headers=moderator.auth)
    assert no_reason.status_code == 422
    removed = api.post(
        f"/admin/comments/{comment.json()['id']}/remove", json={"reason": "abuse"}, headers=moderator.auth
    )
    assert removed.status_code == 204, removed.text
    assert api.get(f"/posts/{private['id']}/comments", headers=author.auth).json()["items"] == []
    answer = api.post(
        f"/admin/posts/{private['id']}/remove", json={"reason": "illegal"}, headers=moderator.auth
    )
    assert answer.status_code == 204, answer.text
    gone = api.get(f"/posts/{private['id']}", headers=author.auth)
    assert gone.status_code == 410
    assert gone.json()["code"] == "post_removed"
    assert "illegal" in gone.json()["detail"]
    assert api.get(f"/posts/{private['id']}", headers=other.auth).status_code == 404
    log = api.get("/admin/audit", params={"target_id": private["id"]}, headers=admin.auth).json()["items"]
    assert [(e["action"], e["reason"], e["actor_id"]) for e in log] == [
        ("delete_post", "illegal", moderator.id)
    ]
    assert log[0]["before"]["text"] == "only me"
    assert (
        api.post(f"/admin/posts/{private['id']}/remove", json={"reason": "x"}, headers=other.auth).status_code
        == 403
    )


def test_reports_from_filing_to_decision(
    api: httpx.Client, members: Members, posts: Posts, staff: Callable[[str], Member]
) -> None:
    author, reporter, second = members.create(), members.create(), members.create()
    moderator = staff("moderator")
    post = posts.create(author, "buy cheap things")
    body = {"target_type": "post", "target_id": post["id"], "category": "spam", "text": "spam link"}
    filed = api.post("/reports", json=body, headers=reporter.auth)
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "open"
    again = api.post("/reports", json=body, headers=reporter.auth)
    assert again.status_code == 409
    assert again.json()["report_id"] == filed.json()["id"]
    assert api.post("/reports", json=body, headers=second.auth).status_code == 201
    own = {**body, "target_id": post["id"]}
    assert api.post("/reports", json=own, headers=author.auth).json()["code"] == "cannot_report_yourself"
    missing = {**body, "target_id": "01900000-0000-7000-8000-000000000000"}
    assert api.post("/reports", json=missing, headers=reporter.auth).status_code == 422
    assert api.post("/reports", json={**body, "category": "rude"}, headers=reporter.auth).status_code == 422
    account = {"target_type": "account", "target_id": author.id, "category": "abuse"}
    assert api.post("/reports", json=account, headers=reporter.auth).status_code == 201
    assert [r["id"] for r in api.get("/reports/mine", headers=reporter.auth).json()["items"]][
        1
    ] == filed.json()["id"]
    # Staff: the queue, oldest first, and the content as it is now.
    assert api.get("/admin/reports", headers=reporter.auth).status_code == 403
    queue: list[str] = []
    cursor = None
    while True:
        page = api.get(
            "/admin/reports",
            params={"limit": 100, **({"cursor": cursor} if cursor else {})},
            headers=moderator.auth,
        ).json()
        queue += _ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert queue.index(filed.json()["id"]) < queue.index(
        api.get("/reports/mine", headers=second.auth).json()["items"][0]["id"]
    )
    detail = api.get(f"/admin/reports/{filed.json()['id']}", headers=moderator.auth).json()
    assert detail["post"]["text"] == "buy cheap things"
    assert detail["account_id"] == author.id
    no_note = api.post(
        f"/admin/reports/{filed.json()['id']}/resolve", json={"action": "none"}, headers=moderator.auth
    )
    assert no_note.status_code == 422
    resolved = api.post(
        f"/admin/reports/{filed.json()['id']}/resolve",
        json={"action": "suspend", "note": "spammer", "duration": 3600},
        headers=moderator.auth,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    # Both reports of the post are closed by the one decision, and the author is suspended.
    assert api.get("/reports/mine", headers=second.auth).json()["items"][0]["status"] == "resolved"
    assert api.post("/posts", json={"text": "x"}, headers=author.auth).status_code == 403
    decided = api.post(
        f"/admin/reports/{filed.json()['id']}/dismiss", json={"note": "x"}, headers=moderator.auth
    )
    assert decided.status_code == 409
    # The hidden content is still shown to staff in the report.
    hidden = api.get(f"/admin/reports/{filed.json()['id']}", headers=moderator.auth).json()
    assert hidden["post"]["id"] == post["id"]
    [account_report] = [
        r
        for r in api.get("/reports/mine", headers=reporter.auth).json()["items"]
        if r["target_type"] == "account"
    ]
    dismissed = api.post(
        f"/admin/reports/{account_report['id']}/dismiss",
        json={"note": "handled already"},
        headers=moderator.auth,
    )
    assert dismissed.json()["status"] == "dismissed"


def test_a_deleted_accounts_posts_comments_and_likes_are_removed(
    api: httpx.Client, members: Members, posts: Posts, staff: Callable[[str], Member]
) -> None:
    leaving, staying = members.create(), members.create()
    moderator = staff("moderator")
    own = posts.create(leaving, "mine")
    theirs = posts.create(staying, "theirs")
    assert api.put(f"/posts/{theirs['id']}/like", headers=leaving.auth).status_code == 200
    thread = api.post(f"/posts/{theirs['id']}/comments", json={"text": "top"}, headers=leaving.auth).json()
    api.post(
        f"/posts/{theirs['id']}/comments",
        json={"text": "reply", "parent_id": thread["id"]},
        headers=staying.auth,
    )
    api.post(f"/posts/{theirs['id']}/comments", json={"text": "kept"}, headers=staying.auth)
    assert api.get(f"/posts/{theirs['id']}").json()["comment_count"] == 3
    gone = api.request("DELETE", "/users/me", json={"password": leaving.password}, headers=leaving.auth)
    assert gone.status_code == 204

    def purged() -> bool:
        post: dict[str, int] = api.get(f"/posts/{theirs['id']}").json()
        return post["like_count"] == 0 and post["comment_count"] == 1

    eventually(purged)
    assert [c["text"] for c in api.get(f"/posts/{theirs['id']}/comments").json()["items"]] == ["kept"]
    # Even staff find nothing left of it.
    assert api.get(f"/posts/{own['id']}", headers=moderator.auth).status_code == 404
