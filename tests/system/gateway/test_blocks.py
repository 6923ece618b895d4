"""Blocks and mutes through the REST API, against the real gateway and posts service (which learns them
through the broker): both views of every read path, the follows a block ends, the writes it refuses,
one-way and timed mutes, the lists, and bad input.

The posts service applies a block a moment after the gateway answers: assertions about posts and
comments wait for it (``eventually``); the gateway's own answers (profiles, follows, lists) do not.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.factories import Member, Members, Posts


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.05)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


class Scene:
    """Two accounts that follow each other, each with a post (with a word of its own) and a comment,
    with a reply from the other, under a third account's post: every place one may meet the other."""

    def __init__(self, api: httpx.Client, members: Members, posts: Posts) -> None:
        self.api = api
        self.one, self.other, self.third = members.create(), members.create(), members.create()
        for a, b in ((self.one, self.other), (self.other, self.one)):
            assert api.post(f"/users/{b.username}/follow", headers=a.auth).status_code == 200
        self.words = {m.username: f"zq{secrets.token_hex(4)}" for m in (self.one, self.other)}
        self.posts = {
            m.username: posts.create(m, f"about {self.words[m.username]}") for m in (self.one, self.other)
        }
        self.stage = posts.create(self.third, "say something")
        self.comments: dict[str, dict[str, Any]] = {}
        for m in (self.one, self.other):
            made = api.post(f"/posts/{self.stage['id']}/comments", json={"text": "me"}, headers=m.auth)
            assert made.status_code == 201, made.text
            self.comments[m.username] = made.json()

    def seen(self, reader: Member, author: Member) -> dict[str, bool]:
        """What ``reader`` sees of ``author``'s posts and comments, read path by read path."""
        api, auth, post = self.api, reader.auth, self.posts[author.username]
        wall = api.get(f"/users/{author.username}/posts", headers=auth)
        found = api.get("/search", params={"q": self.words[author.username], "type": "posts"}, headers=auth)
        comments = api.get(f"/posts/{self.stage['id']}/comments", headers=auth).json()["items"]
        return {
            "post": api.get(f"/posts/{post['id']}", headers=auth).status_code == 200,
            "wall": wall.status_code == 200 and post["id"] in _ids(wall.json()["items"]),
            "feed": post["id"] in _ids(api.get("/feed", headers=auth).json()["items"]),
            "search": post["id"] in _ids(found.json()["posts"]),
            "comments": self.comments[author.username]["id"] in _ids(comments),
        }


@pytest.fixture
def scene(api: httpx.Client, members: Members, posts: Posts) -> Scene:
    return Scene(api, members, posts)


def _relationship(api: httpx.Client, member: Member, other: Member) -> dict[str, Any]:
    response = api.get(f"/users/{other.username}/relationship", headers=member.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_block_hides_each_from_the_other_and_ends_their_follows(api: httpx.Client, scene: Scene) -> None:
    blocker, blocked = scene.one, scene.other
    assert scene.seen(blocker, blocked) == dict.fromkeys(scene.seen(blocker, blocked), True)

    response = api.post(f"/users/{blocked.username}/block", headers=blocker.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "following": False,
        "followed_by": False,
        "requested": False,
        "requested_by": False,
        "blocking": True,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
    }
    assert _relationship(api, blocked, blocker)["blocked_by"] is True

    nothing = dict.fromkeys(("post", "wall", "feed", "search", "comments"), False)
    eventually(lambda: scene.seen(blocker, blocked) == nothing)
    eventually(lambda: scene.seen(blocked, blocker) == nothing)
    # A third account sees both as before.
    assert scene.seen(scene.third, blocker)["post"]
    assert scene.seen(scene.third, blocked)["comments"]

    # The blocked account does not see the blocker at all; the blocker still sees who they block.
    for path in ("", "/posts", "/followers", "/following"):
        assert api.get(f"/users/{blocker.username}{path}", headers=blocked.auth).status_code == 404, path
    assert api.get(f"/users/{blocked.username}", headers=blocker.auth).status_code == 200
    users = api.get("/search", params={"q": blocker.username, "type": "users"}, headers=blocked.auth)
    assert blocker.username not in [u["username"] for u in users.json()["users"]]

    # Neither follows the other again.
    refused = api.post(f"/users/{blocker.username}/follow", headers=blocked.auth)
    assert refused.status_code == 404, refused.text
    unblock_first = api.post(f"/users/{blocked.username}/follow", headers=blocker.auth)
    assert (unblock_first.status_code, unblock_first.json()["code"]) == (409, "blocking")

    # Nor likes, comments on, or replies to the other's posts and comments.
    for actor, target in ((blocked, blocker), (blocker, blocked)):
        post_id = scene.posts[target.username]["id"]
        assert api.put(f"/posts/{post_id}/like", headers=actor.auth).status_code == 404
        comment = api.post(f"/posts/{post_id}/comments", json={"text": "hi"}, headers=actor.auth)
        assert comment.status_code == 404, comment.text
        reply = api.post(
            f"/posts/{scene.stage['id']}/comments",
            json={"text": "hi", "parent_id": scene.comments[target.username]["id"]},
            headers=actor.auth,
        )
        assert reply.status_code == 404, reply.text

    # Unblocking shows the content again, but restores no follow.
    assert api.delete(f"/users/{blocked.username}/block", headers=blocker.auth).status_code == 200
    eventually(lambda: scene.seen(blocker, blocked)["post"] and scene.seen(blocked, blocker)["comments"])
    after = _relationship(api, blocker, blocked)
    assert (after["blocking"], after["following"], after["followed_by"]) == (False, False, False)
    assert api.get(f"/users/{blocker.username}", headers=blocked.auth).status_code == 200


def test_a_block_withdraws_pending_requests_both_ways(api: httpx.Client, members: Members) -> None:
    private, asker = members.create(), members.create()
    assert api.patch("/users/me", json={"is_private": True}, headers=private.auth).status_code == 200
    assert api.post(f"/users/{private.username}/follow", headers=asker.auth).json()["requested"] is True
    assert api.post(f"/users/{asker.username}/block", headers=private.auth).status_code == 200
    waiting = api.get("/users/me/follow-requests", headers=private.auth).json()["items"]
    assert asker.username not in [item["user"]["username"] for item in waiting]
    # Blocking twice changes nothing; so does unblocking twice.
    assert api.post(f"/users/{asker.username}/block", headers=private.auth).json()["blocking"] is True
    assert api.delete(f"/users/{asker.username}/block", headers=private.auth).json()["blocking"] is False
    assert api.delete(f"/users/{asker.username}/block", headers=private.auth).json()["blocking"] is False


def test_a_mute_hides_only_from_the_muters_feed_comments_and_search(api: httpx.Client, scene: Scene) -> None:
    muter, muted = scene.one, scene.other
    response = api.post(f"/users/{muted.username}/mute", headers=muter.auth)
    assert response.status_code == 200, response.text
    assert (response.json()["muting"], response.json()["muting_notifications"]) == (True, True)
    assert response.json()["following"] is True  # a mute ends no follow
    expected = {"post": True, "wall": True, "feed": False, "search": False, "comments": False}
    eventually(lambda: scene.seen(muter, muted) == expected)
    # The muted account notices nothing, and can still interact.
    assert scene.seen(muted, muter) == dict.fromkeys(expected, True)
    assert _relationship(api, muted, muter)["muting"] is False
    liked = api.put(f"/posts/{scene.posts[muter.username]['id']}/like", headers=muted.auth)
    assert liked.status_code == 200, liked.text

    assert api.delete(f"/users/{muted.username}/mute", headers=muter.auth).json()["muting"] is False
    eventually(lambda: scene.seen(muter, muted) == dict.fromkeys(expected, True))


def test_a_timed_mute_ends_by_itself(api: httpx.Client, scene: Scene) -> None:
    muter, muted = scene.one, scene.other
    body = {"duration": 3, "notifications": False}
    response = api.post(f"/users/{muted.username}/mute", json=body, headers=muter.auth)
    assert response.status_code == 200, response.text
    assert (response.json()["muting"], response.json()["muting_notifications"]) == (True, False)
    listed = api.get("/users/me/mutes", headers=muter.auth).json()["items"]
    assert [(m["user"]["username"], m["notifications"]) for m in listed] == [(muted.username, False)]
    assert listed[0]["until"] is not None
    eventually(lambda: not scene.seen(muter, muted)["feed"])
    # No further call: the clock ends it, in the gateway and in the posts service.
    eventually(lambda: scene.seen(muter, muted)["feed"], timeout=15)
    assert _relationship(api, muter, muted)["muting"] is False
    assert api.get("/users/me/mutes", headers=muter.auth).json()["items"] == []


def test_my_blocks_and_mutes_are_listed_newest_first_in_pages(api: httpx.Client, members: Members) -> None:
    me, first, second = members.create(), members.create(), members.create()
    for other in (first, second):
        assert api.post(f"/users/{other.username}/block", headers=me.auth).status_code == 200
        assert api.post(f"/users/{other.username}/mute", headers=me.auth).status_code == 200
    for kind in ("blocks", "mutes"):
        page = api.get(f"/users/me/{kind}", params={"limit": 1}, headers=me.auth).json()
        assert [item["user"]["username"] for item in page["items"]] == [second.username]
        rest = api.get(
            f"/users/me/{kind}", params={"limit": 1, "cursor": page["next_cursor"]}, headers=me.auth
        )
        assert [item["user"]["username"] for item in rest.json()["items"]] == [first.username]
        assert rest.json()["next_cursor"] is None
        other_list = api.get("/users/me/followers", params={"cursor": page["next_cursor"]}, headers=me.auth)
        assert other_list.status_code == 400


def test_bad_block_and_mute_requests_are_problems(api: httpx.Client, members: Members) -> None:
    me, other = members.create(), members.create()
    cases = [
        (api.post(f"/users/{me.username}/block", headers=me.auth), 422, "cannot_block_self"),
        (api.post(f"/users/{me.username}/mute", headers=me.auth), 422, "cannot_mute_self"),
        (
            api.post(f"/users/{other.username}/mute", json={"duration": 0}, headers=me.auth),
            422,
            "validation_failed",
        ),
        (
            api.post(f"/users/{other.username}/mute", json={"duration": 10**9}, headers=me.auth),
            422,
            "validation_failed",
        ),
        (
            api.post(f"/users/{other.username}/mute", json={"for": 5}, headers=me.auth),
            422,
            "validation_failed",
        ),
        (api.post("/users/nobody_at_all_here/block", headers=me.auth), 404, "user_not_found"),
        (api.post(f"/users/{other.username}/block"), 401, "unauthenticated"),
        (api.get("/users/me/blocks"), 401, "unauthenticated"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert api.get("/users/me/mutes", headers=me.auth).json()["items"] == []
