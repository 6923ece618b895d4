"""Walls (a user's posts) and cursor pagination through the REST API."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Member, Members, Posts


def page_through(api: httpx.Client, path: str, member: Member | None, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    headers = member.auth if member else {}
    while True:
        params: dict[str, str | int] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        ids += [p["id"] for p in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return ids


def test_a_wall_shows_what_the_caller_may_see_newest_first(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, other = members.create(), members.create()
    public_one = posts.create(author, "one")
    private = posts.create(author, "secret", visibility="private")
    public_two = posts.create(author, "two")
    wall = f"/users/{author.username}/posts"
    assert [p["id"] for p in api.get(wall).json()["items"]] == [public_two["id"], public_one["id"]]
    assert [p["id"] for p in api.get(wall, headers=other.auth).json()["items"]] == [
        public_two["id"],
        public_one["id"],
    ]
    own = api.get("/users/me/posts", headers=author.auth).json()["items"]
    assert [p["id"] for p in own] == [public_two["id"], private["id"], public_one["id"]]
    assert [p["id"] for p in api.get(wall, headers=author.auth).json()["items"]] == [p["id"] for p in own]
    assert all(p["author"]["username"] == author.username for p in own)


def test_paging_while_new_posts_arrive_never_repeats_or_skips(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    existing = [posts.create(author)["id"] for _ in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/users/{author.username}/posts", params=params).json()
        seen += [p["id"] for p in page["items"]]
        posts.create(author)  # a new post lands between pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(existing))


def test_pages_cover_a_wall_exactly(api: httpx.Client, members: Members, posts: Posts) -> None:
    author = members.create()
    created = [posts.create(author)["id"] for _ in range(5)]
    for limit in (1, 2, 5, 100):
        assert page_through(api, f"/users/{author.username}/posts", None, limit) == list(reversed(created))


def test_an_unknown_user_has_no_wall(api: httpx.Client) -> None:
    response = api.get("/users/nobody_here_at_all/posts")
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


def test_my_wall_needs_a_token(api: httpx.Client) -> None:
    assert api.get("/users/me/posts").status_code == 401


@pytest.mark.parametrize("cursor", ["not a cursor!", "%%%", "AAAA", "x" * 100, "-_-_", "A" * 600])
def test_a_malformed_cursor_is_400(api: httpx.Client, members: Members, posts: Posts, cursor: str) -> None:
    author = members.create()
    posts.create(author)
    response = api.get(f"/users/{author.username}/posts", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_limits_outside_1_to_100_are_refused(api: httpx.Client, members: Members, limit: str) -> None:
    author = members.create()
    response = api.get(f"/users/{author.username}/posts", params={"limit": limit})
    assert response.status_code in (400, 422)
    assert [e["field"] for e in response.json()["errors"]] == ["limit"]
