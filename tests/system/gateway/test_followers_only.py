"""Followers-only posts, end to end: the author and approved followers see them everywhere a post
shows (the post, walls, comments, likes, stats, feed, search); everyone else gets a 404 or nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Member, Members, Posts
from tests.system.gateway.test_follows import follow, make_private


@pytest.fixture
def circle(api: httpx.Client, members: Members, posts: Posts) -> dict[str, Any]:
    """An author with a followers-only post, a follower, a pending requester and a stranger."""
    author, follower, requester, stranger = (members.create() for _ in range(4))
    follow(api, follower, author)
    make_private(api, author)
    follow(api, requester, author)
    post = posts.create(author, text="only for my people", visibility="followers")
    return {
        "author": author,
        "follower": follower,
        "requester": requester,
        "stranger": stranger,
        "post": post,
    }


def readers(circle: dict[str, Any]) -> tuple[list[Member], list[Member | None]]:
    """Who may see the post, and who may not (None: anonymous)."""
    return [circle["author"], circle["follower"]], [circle["requester"], circle["stranger"], None]


def auth(member: Member | None) -> dict[str, str]:
    return member.auth if member else {}


def test_a_followers_only_post_is_seen_by_its_author_and_followers(
    api: httpx.Client, circle: dict[str, Any]
) -> None:
    post_id = circle["post"]["id"]
    allowed, refused = readers(circle)

    for member in allowed:
        response = api.get(f"/posts/{post_id}", headers=member.auth)
        assert response.status_code == 200, response.text
        assert response.json()["visibility"] == "followers"
    for other in refused:
        response = api.get(f"/posts/{post_id}", headers=auth(other))
        assert response.status_code == 404
        assert response.json()["code"] == "post_not_found"


def test_walls_show_it_to_followers_only(api: httpx.Client, circle: dict[str, Any]) -> None:
    author, post_id = circle["author"], circle["post"]["id"]
    allowed, refused = readers(circle)

    for member in allowed:
        wall = api.get(f"/users/{author.username}/posts", headers=member.auth)
        assert [item["id"] for item in wall.json()["items"]] == [post_id]
    for other in refused:
        wall = api.get(f"/users/{author.username}/posts", headers=auth(other))
        assert wall.status_code == 200
        assert wall.json()["items"] == []


def test_comments_likes_and_stats_follow_the_same_rule(api: httpx.Client, circle: dict[str, Any]) -> None:
    post_id = circle["post"]["id"]
    follower, stranger = circle["follower"], circle["stranger"]

    comment = api.post(f"/posts/{post_id}/comments", json={"text": "hello"}, headers=follower.auth)
    assert comment.status_code == 201, comment.text
    assert api.put(f"/posts/{post_id}/like", headers=follower.auth).status_code == 200
    assert api.get(f"/posts/{post_id}/comments", headers=follower.auth).json()["items"][0]["text"] == "hello"
    assert api.get(f"/posts/{post_id}/stats", headers=follower.auth).status_code == 200
    liked = api.get("/users/me/likes", headers=follower.auth).json()["items"]
    assert [item["id"] for item in liked] == [post_id]

    for response in (
        api.post(f"/posts/{post_id}/comments", json={"text": "let me in"}, headers=stranger.auth),
        api.put(f"/posts/{post_id}/like", headers=stranger.auth),
        api.get(f"/posts/{post_id}/comments", headers=stranger.auth),
        api.get(f"/posts/{post_id}/comments"),
        api.get(f"/posts/{post_id}/stats", headers=stranger.auth),
        api.get(f"/posts/{post_id}/stats"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "post_not_found"


def test_unfollowing_hides_it_again_at_once(api: httpx.Client, circle: dict[str, Any]) -> None:
    follower, post_id = circle["follower"], circle["post"]["id"]
    api.put(f"/posts/{post_id}/like", headers=follower.auth)

    api.delete(f"/users/{circle['author'].username}/follow", headers=follower.auth)

    assert api.get(f"/posts/{post_id}", headers=follower.auth).status_code == 404
    assert api.get("/users/me/likes", headers=follower.auth).json()["items"] == []
    assert api.get("/feed", headers=follower.auth).json()["items"] == []


def test_an_accepted_request_opens_it(api: httpx.Client, circle: dict[str, Any]) -> None:
    requester, post_id = circle["requester"], circle["post"]["id"]

    api.post(f"/users/me/follow-requests/{requester.username}/accept", headers=circle["author"].auth)

    assert api.get(f"/posts/{post_id}", headers=requester.auth).status_code == 200
    assert [item["id"] for item in api.get("/feed", headers=requester.auth).json()["items"]] == [post_id]


def test_posts_of_a_private_account_default_to_followers(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    make_private(api, author)

    default = api.post("/posts", json={"text": "by default"}, headers=author.auth)
    chosen = api.post("/posts", json={"text": "for all", "visibility": "public"}, headers=author.auth)

    assert default.status_code == chosen.status_code == 201
    assert default.json()["visibility"] == "followers"
    assert chosen.json()["visibility"] == "public"
    assert api.get(f"/posts/{chosen.json()['id']}").status_code == 200
    assert api.get(f"/posts/{default.json()['id']}").status_code == 404
    public_author = members.create()
    assert posts.create(public_author, visibility="public")["visibility"] == "public"
    plain = api.post("/posts", json={"text": "no visibility given"}, headers=public_author.auth)
    assert plain.json()["visibility"] == "public"


def test_an_author_may_change_who_sees_a_post(api: httpx.Client, circle: dict[str, Any]) -> None:
    post_id, stranger = circle["post"]["id"], circle["stranger"]

    opened = api.patch(f"/posts/{post_id}", json={"visibility": "public"}, headers=circle["author"].auth)

    assert opened.status_code == 200
    assert api.get(f"/posts/{post_id}", headers=stranger.auth).status_code == 200
    closed = api.patch(f"/posts/{post_id}", json={"visibility": "followers"}, headers=circle["author"].auth)
    assert closed.json()["visibility"] == "followers"
    assert api.get(f"/posts/{post_id}", headers=stranger.auth).status_code == 404
    bad = api.patch(f"/posts/{post_id}", json={"visibility": "friends"}, headers=circle["author"].auth)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "visibility"


def test_private_posts_stay_the_authors_own_even_for_followers(
    api: httpx.Client, circle: dict[str, Any], posts: Posts
) -> None:
    secret = posts.create(circle["author"], text="just mine", visibility="private")

    assert api.get(f"/posts/{secret['id']}", headers=circle["follower"].auth).status_code == 404
    feed = api.get("/feed", headers=circle["follower"].auth).json()["items"]
    assert secret["id"] not in [item["id"] for item in feed]
    assert api.get(f"/posts/{secret['id']}", headers=circle["author"].auth).status_code == 200


def test_followers_may_not_edit_or_delete_it_and_are_told_so(
    api: httpx.Client, circle: dict[str, Any]
) -> None:
    post_id, follower = circle["post"]["id"], circle["follower"]

    edit = api.patch(f"/posts/{post_id}", json={"text": "mine now"}, headers=follower.auth)
    delete = api.delete(f"/posts/{post_id}", headers=follower.auth)

    for refused in (edit, delete):  # they see the post: forbidden, as for a public post
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "forbidden"
    for other in (circle["requester"], circle["stranger"]):  # they do not: it does not exist
        for response in (
            api.patch(f"/posts/{post_id}", json={"text": "mine now"}, headers=other.auth),
            api.delete(f"/posts/{post_id}", headers=other.auth),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "post_not_found"
    assert api.get(f"/posts/{post_id}", headers=circle["author"].auth).json()["text"] == "only for my people"


def test_a_removed_follower_may_still_take_their_like_back(api: httpx.Client, circle: dict[str, Any]) -> None:
    author, follower, post_id = circle["author"], circle["follower"], circle["post"]["id"]
    assert api.put(f"/posts/{post_id}/like", headers=follower.auth).json()["like_count"] == 1
    removed = api.delete(f"/users/me/followers/{follower.username}", headers=author.auth)
    assert removed.status_code == 204, removed.text
    assert api.get(f"/posts/{post_id}", headers=follower.auth).status_code == 404

    unliked = api.delete(f"/posts/{post_id}/like", headers=follower.auth)

    assert unliked.status_code == 204, unliked.text  # done, and nothing of the post is shown
    assert unliked.content == b""
    as_author = api.get(f"/posts/{post_id}", headers=author.auth).json()
    assert as_author["like_count"] == 0
    again = api.delete(f"/posts/{post_id}/like", headers=follower.auth)
    assert again.status_code == 404  # no like left: the post is out of sight, as for anyone
    assert again.json()["code"] == "post_not_found"
