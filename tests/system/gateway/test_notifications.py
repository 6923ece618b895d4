"""In-app notifications end to end: actions through the REST API, their events through the broker,
the notifier's rules, and the notifications API. The notifier works after the fact, so the tests wait
for what must come; for what must not, they wait for a later notification of the same recipient from
the same topic first (events of one post, or of one pair, keep their order)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.moderation.command_line import promote
from tests.conftest import RunningProcess, free_port, service_process, start_process
from tests.factories import Member, Members, Posts
from tests.smtp import wait_until

Items = list[dict[str, Any]]


def notifications(api: httpx.Client, member: Member, **params: Any) -> Items:
    response = api.get("/notifications", params=params, headers=member.auth)
    assert response.status_code == 200, response.text
    items: Items = response.json()["items"]
    return items


def wait_for(
    api: httpx.Client, member: Member, check: Callable[[Items], bool], what: str, timeout: float = 20
) -> Items:
    def fetched() -> tuple[Items] | None:  # a tuple: an empty list may be what is waited for
        items = notifications(api, member)
        return (items,) if check(items) else None

    found: tuple[Items] = wait_until(fetched, timeout, what)
    return found[0]


def of_type(items: Items, kind: str) -> Items:
    return [item for item in items if item["type"] == kind]


def like(api: httpx.Client, member: Member, post: dict[str, Any]) -> None:
    assert api.put(f"/posts/{post['id']}/like", headers=member.auth).status_code in (200, 204)


def unlike(api: httpx.Client, member: Member, post: dict[str, Any]) -> None:
    assert api.delete(f"/posts/{post['id']}/like", headers=member.auth).status_code in (200, 204)


def comment(
    api: httpx.Client, member: Member, post: dict[str, Any], text: str, parent_id: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text} if parent_id is None else {"text": text, "parent_id": parent_id}
    response = api.post(f"/posts/{post['id']}/comments", json=body, headers=member.auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def follow(api: httpx.Client, who: Member, whom: Member) -> None:
    assert api.post(f"/users/{whom.username}/follow", headers=who.auth).status_code == 200


def test_likes_of_a_post_are_one_entry_and_an_unlike_takes_its_like_back(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, alice, bob, carol = (members.create() for _ in range(4))
    post = posts.create(author, "a post worth liking")
    like(api, alice, post)
    [entry] = wait_for(api, author, lambda items: len(of_type(items, "like")) == 1, "a like")
    assert entry["actor_count"] == 1
    assert [actor["username"] for actor in entry["actors"]] == [alice.username]
    assert entry["post"]["id"] == post["id"]
    assert entry["read"] is False

    like(api, bob, post)
    like(api, carol, post)
    [entry] = wait_for(
        api, author, lambda items: sum(i["actor_count"] for i in of_type(items, "like")) == 3, "3 likers"
    )
    assert [actor["username"] for actor in entry["actors"]] == [carol.username, bob.username, alice.username]

    unlike(api, carol, post)
    [entry] = wait_for(
        api, author, lambda items: sum(i["actor_count"] for i in of_type(items, "like")) == 2, "an unlike"
    )
    assert carol.username not in [actor["username"] for actor in entry["actors"]]
    unlike(api, bob, post)
    unlike(api, alice, post)
    wait_for(api, author, lambda items: not of_type(items, "like"), "the group gone")
    # The author's own like tells nobody: a later like by another is the only entry.
    like(api, author, post)
    like(api, bob, post)
    [entry] = wait_for(api, author, lambda items: len(of_type(items, "like")) == 1, "bob's like again")
    assert [actor["username"] for actor in entry["actors"]] == [bob.username]


def test_comments_replies_and_mentions(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, reader, other = members.create(), members.create(), members.create()
    post = posts.create(author, f"hello, @{other.username}")
    wait_for(api, other, lambda items: len(of_type(items, "mention")) == 1, "a mention in a post")

    top = comment(api, reader, post, "nice post")
    [entry] = wait_for(api, author, lambda items: len(of_type(items, "comment")) == 1, "a comment")
    assert entry["comment_id"] == top["id"]
    assert entry["actors"][0]["username"] == reader.username

    comment(api, author, post, "thanks!", parent_id=top["id"])
    wait_for(api, reader, lambda items: len(of_type(items, "reply")) == 1, "a reply")
    # The author's own reply on their post tells the author nothing.
    assert len(of_type(notifications(api, author), "comment")) == 1


def test_a_mention_the_mentioned_may_not_read_tells_nothing(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, outsider, witness = members.create(), members.create(), members.create()
    follow(api, witness, author)
    posts.create(author, f"for followers: @{outsider.username} @{witness.username}", visibility="followers")
    wait_for(api, witness, lambda items: len(of_type(items, "mention")) == 1, "the follower's mention")
    assert of_type(notifications(api, outsider), "mention") == []


def test_follows_requests_and_their_undoing(api: httpx.Client, members: Members) -> None:
    public, private, fan = members.create(), members.create(), members.create()
    follow(api, fan, public)
    [entry] = wait_for(api, public, lambda items: len(of_type(items, "follow")) == 1, "a follow")
    assert entry["actors"][0]["username"] == fan.username
    assert api.delete(f"/users/{public.username}/follow", headers=fan.auth).status_code == 200
    wait_for(api, public, lambda items: not of_type(items, "follow"), "the unfollow")

    assert api.patch("/users/me", json={"is_private": True}, headers=private.auth).status_code == 200
    follow(api, fan, private)
    wait_for(api, private, lambda items: len(of_type(items, "follow_request")) == 1, "a request")
    accepted = api.post(f"/users/me/follow-requests/{fan.username}/accept", headers=private.auth)
    assert accepted.status_code == 204, accepted.text
    wait_for(api, fan, lambda items: len(of_type(items, "follow_accepted")) == 1, "the acceptance")
    wait_for(api, private, lambda items: not of_type(items, "follow_request"), "the request resolved")


def test_a_block_silences_the_blocked_and_removes_what_they_did(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, pest, friend = members.create(), members.create(), members.create()
    post = posts.create(author, "to be liked")
    like(api, pest, post)
    wait_for(api, author, lambda items: len(of_type(items, "like")) == 1, "the pest's like")
    assert api.post(f"/users/{pest.username}/block", headers=author.auth).status_code == 200
    wait_for(api, author, lambda items: not of_type(items, "like"), "the like gone with the block")
    comment(api, friend, post, "hello")
    items = wait_for(api, author, lambda items: len(of_type(items, "comment")) == 1, "the friend's comment")
    assert all(pest.username not in [a["username"] for a in item["actors"]] for item in items)


def test_read_unread_delete_filters_and_pages(api: httpx.Client, members: Members, posts: Posts) -> None:
    author = members.create()
    likers = [members.create() for _ in range(3)]
    made = [posts.create(author, f"post {number}") for number in range(3)]
    for liker, post in zip(likers, made, strict=True):
        like(api, liker, post)
    follow(api, likers[0], author)
    items = wait_for(api, author, lambda items: len(items) == 4, "three likes and a follow")
    assert api.get("/notifications/unread-count", headers=author.auth).json() == {"unread_count": 4}

    first = api.get("/notifications", params={"limit": 2}, headers=author.auth).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = api.get(
        "/notifications", params={"limit": 2, "cursor": first["next_cursor"]}, headers=author.auth
    ).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in items]

    assert [i["type"] for i in notifications(api, author, types="follow")] == ["follow"]
    assert {i["type"] for i in notifications(api, author, exclude_types="follow")} == {"like"}
    unknown = api.get("/notifications", params={"types": "poke"}, headers=author.auth)
    assert unknown.status_code in (400, 422)
    assert unknown.json()["code"] == "unknown_notification_type"

    # Marking up to the second newest leaves only the newest unread.
    marked = api.post("/notifications/read", json={"up_to": items[1]["id"]}, headers=author.auth)
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"unread_count": 1}
    assert [i["read"] for i in notifications(api, author)] == [False, True, True, True]

    stranger = members.create()
    assert api.delete(f"/notifications/{items[0]['id']}", headers=stranger.auth).status_code == 404
    assert api.delete(f"/notifications/{items[0]['id']}", headers=author.auth).status_code == 204
    assert len(notifications(api, author)) == 3
    assert api.get("/notifications").status_code == 401


def test_a_deleted_post_takes_its_notifications_along(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, fan = members.create(), members.create()
    doomed, kept = posts.create(author, "soon gone"), posts.create(author, "stays")
    like(api, fan, doomed)
    wait_for(api, author, lambda items: len(of_type(items, "like")) == 1, "the like")
    assert api.delete(f"/posts/{doomed['id']}", headers=author.auth).status_code == 204
    like(api, fan, kept)
    [entry] = wait_for(
        api, author, lambda items: [i["post"]["id"] for i in of_type(items, "like")] == [kept["id"]], "kept"
    )
    assert entry["post"]["id"] == kept["id"]


def test_staff_decisions_reach_the_member_with_their_reason(
    api: httpx.Client, members: Members, posts: Posts, system_env: dict[str, str]
) -> None:
    moderator, member = members.create(), members.create()
    asyncio.run(promote(system_env["FLOCK_GATEWAY_DB_URL"], moderator.username, "moderator"))
    post = posts.create(member, "something against the rules")
    removed = api.post(
        f"/admin/posts/{post['id']}/remove", json={"reason": "spam links"}, headers=moderator.auth
    )
    assert removed.status_code == 204, removed.text
    [notice] = wait_for(api, member, lambda items: len(of_type(items, "moderation")) == 1, "the removal")
    assert notice["moderation"]["reason"] == "spam links"

    suspended = api.post(
        f"/admin/users/{member.username}/suspend",
        json={"reason": "repeated spam", "duration": 3600},
        headers=moderator.auth,
    )
    assert suspended.status_code == 200, suspended.text
    items = wait_for(api, member, lambda items: len(of_type(items, "moderation")) == 2, "the suspension")
    suspension = next(i for i in items if i["moderation"]["reason"] == "repeated spam")
    assert suspension["moderation"]["until"] is not None


def test_a_replay_of_every_event_changes_nothing(
    api: httpx.Client,
    members: Members,
    posts: Posts,
    gateway: RunningProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    author, fan = members.create(), members.create()
    post = posts.create(author, "replayed")
    like(api, fan, post)
    follow(api, fan, author)
    before = wait_for(api, author, lambda items: len(items) == 2, "a like and a follow")
    env = dict(
        gateway.env, FLOCK_NOTIFIER_GROUP="flock-notifier-replay", FLOCK_NOTIFIER_PORT=str(free_port())
    )
    replay = start_process(service_process(env, "notifier"), tmp_path_factory.mktemp("replay"))
    try:
        # The replaying notifier's mark: a like it applies too, once it has read that far.
        sentinel = posts.create(author, "after the replay")
        like(api, fan, sentinel)
        wait_for(api, author, lambda items: len(items) == 3, "the sentinel like", timeout=30)
        # The replay reads the session's whole history from the start: give it time to catch up.
        time.sleep(5)
    finally:
        replay.stop()
    after = notifications(api, author)
    assert len(after) == 3
    assert [(i["id"], i["actor_count"]) for i in after[1:]] == [(i["id"], i["actor_count"]) for i in before]
