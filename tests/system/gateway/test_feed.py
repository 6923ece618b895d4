"""The home feed, end to end: my posts and those of everyone I follow, newest first, in keyset pages
that stay put while new posts arrive."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Member, Members, Posts
from tests.system.gateway.test_follows import follow, make_private


def feed_ids(api: httpx.Client, reader: Member, **params: Any) -> list[str]:
    response = api.get("/feed", params=params, headers=reader.auth)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_feed_holds_my_posts_and_those_i_follow_newest_first(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    reader, ada, bob, stranger = (members.create() for _ in range(4))
    follow(api, reader, ada)
    follow(api, reader, bob)
    written = [
        posts.create(ada, "ada one"),
        posts.create(reader, "mine"),
        posts.create(stranger, "not followed"),
        posts.create(bob, "bob one"),
        posts.create(ada, "ada two", visibility="followers"),
        posts.create(bob, "bob's secret", visibility="private"),
        posts.create(reader, "my secret", visibility="private"),
    ]

    expected = [written[i]["id"] for i in (6, 4, 3, 1, 0)]
    assert feed_ids(api, reader) == expected
    page = api.get("/feed", headers=reader.auth).json()
    assert page["next_cursor"] is None
    assert [item["author"]["username"] for item in page["items"]] == [
        reader.username,
        ada.username,
        bob.username,
        reader.username,
        ada.username,
    ]


def test_a_new_member_sees_an_empty_feed(api: httpx.Client, members: Members) -> None:
    assert feed_ids(api, members.create()) == []


def test_a_pending_request_shows_nothing_yet(api: httpx.Client, members: Members, posts: Posts) -> None:
    reader, private = members.create(), members.create()
    make_private(api, private)
    follow(api, reader, private)
    posts.create(private, "for followers")

    assert feed_ids(api, reader) == []


def test_pages_stay_stable_while_new_posts_arrive(api: httpx.Client, members: Members, posts: Posts) -> None:
    reader, ada, bob = members.create(), members.create(), members.create()
    follow(api, reader, ada)
    follow(api, reader, bob)
    older = [posts.create(ada if i % 2 else bob, f"post {i}")["id"] for i in range(7)]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = api.get("/feed", params=params, headers=reader.auth).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        posts.create(ada, "arrives while paging")

    assert seen == list(reversed(older))
    assert len(feed_ids(api, reader, limit=100)) == 7 + 2


def test_the_feed_needs_a_token_and_valid_paging(api: httpx.Client, members: Members) -> None:
    reader = members.create()

    assert api.get("/feed").status_code == 401
    for params, status, code in (
        ({"limit": 0}, 422, "validation_failed"),
        ({"limit": 101}, 422, "validation_failed"),
        ({"cursor": "garbage!"}, 400, "invalid_cursor"),
        ({"cursor": "bm90IGEgdG9rZW4"}, 400, "invalid_cursor"),
    ):
        response = api.get("/feed", params=params, headers=reader.auth)
        assert response.status_code == status, (params, response.text)
        assert response.json()["code"] == code


def test_a_wall_cursor_is_no_feed_cursor(api: httpx.Client, members: Members, posts: Posts) -> None:
    reader = members.create()
    for i in range(2):
        posts.create(reader, f"mine {i}")
    wall_cursor = api.get(f"/users/{reader.username}/posts", params={"limit": 1}).json()["next_cursor"]

    response = api.get("/feed", params={"cursor": wall_cursor}, headers=reader.auth)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
