"""Likes through the REST API: one per user and post, idempotent, counted exactly."""

from __future__ import annotations

import concurrent.futures

import httpx

from tests.factories import Members, Posts, api_client


def test_like_and_unlike_are_idempotent(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, fan = members.create(), members.create()
    post = posts.create(author)
    for _ in range(2):
        liked = api.put(f"/posts/{post['id']}/like", headers=fan.auth)
        assert liked.status_code == 200
        assert (liked.json()["like_count"], liked.json()["liked_by_me"]) == (1, True)
    as_author = api.get(f"/posts/{post['id']}", headers=author.auth).json()
    assert (as_author["like_count"], as_author["liked_by_me"]) == (1, False)
    for _ in range(2):
        unliked = api.delete(f"/posts/{post['id']}/like", headers=fan.auth)
        assert unliked.status_code == 200
        assert (unliked.json()["like_count"], unliked.json()["liked_by_me"]) == (0, False)


def test_a_hundred_concurrent_likes_by_one_user_leave_one(
    gateway_url: str, members: Members, posts: Posts
) -> None:
    fan = members.create()
    post = posts.create(members.create())

    def like(_: int) -> int:
        with api_client(gateway_url) as client:
            return client.put(f"/posts/{post['id']}/like", headers=fan.auth).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(like, range(100))) == {200}
    with api_client(gateway_url) as client:
        assert client.get(f"/posts/{post['id']}").json()["like_count"] == 1


def test_likes_from_many_users_add_up(gateway_url: str, members: Members, posts: Posts) -> None:
    post = posts.create(members.create())
    fans = [members.create() for _ in range(5)]

    def like(member_index: int) -> None:
        with api_client(gateway_url) as client:
            assert client.put(f"/posts/{post['id']}/like", headers=fans[member_index].auth).status_code == 200

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(like, range(5)))
    with api_client(gateway_url) as client:
        assert client.get(f"/posts/{post['id']}").json()["like_count"] == 5


def test_my_likes_lists_what_i_liked_most_recent_first(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, fan = members.create(), members.create()
    first, second, third = (posts.create(author) for _ in range(3))
    for post in (first, second, third):
        api.put(f"/posts/{post['id']}/like", headers=fan.auth)
    api.delete(f"/posts/{second['id']}/like", headers=fan.auth)
    liked = api.get("/users/me/likes", headers=fan.auth).json()
    assert [p["id"] for p in liked["items"]] == [third["id"], first["id"]]
    assert all(p["liked_by_me"] for p in liked["items"])
    assert api.get("/users/me/likes").status_code == 401


def test_a_post_made_private_drops_out_of_others_likes_who_may_still_unlike_it(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, fan = members.create(), members.create()
    post = posts.create(author)
    api.put(f"/posts/{post['id']}/like", headers=fan.auth)
    api.patch(f"/posts/{post['id']}", json={"visibility": "private"}, headers=author.auth)
    assert api.get("/users/me/likes", headers=fan.auth).json()["items"] == []
    # The fan may still take their like back, and learns nothing of the post doing so.
    unliked = api.delete(f"/posts/{post['id']}/like", headers=fan.auth)
    assert (unliked.status_code, unliked.content) == (204, b"")
    assert api.get(f"/posts/{post['id']}", headers=author.auth).json()["like_count"] == 0
    assert api.delete(f"/posts/{post['id']}/like", headers=fan.auth).status_code == 404
