"""Statistics end to end: likes, comments and views go through the outbox relay and the gateway's
view publisher to the broker, the stats consumer counts them in ClickHouse, the gateway serves them."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import Member, Members, Posts, api_client


def eventually(read: Callable[[], Any], expected: Any, timeout: float = 20.0) -> Any:
    """Poll ``read`` until it returns ``expected`` (statistics lag the events by a fraction of a second)."""
    deadline = time.monotonic() + timeout
    while (value := read()) != expected:
        assert time.monotonic() < deadline, f"still {value!r}, expected {expected!r}"
        time.sleep(0.2)
    return value


def stats_of(api: httpx.Client, post_id: str, member: Member | None = None) -> dict[str, Any]:
    response = api.get(f"/posts/{post_id}/stats", headers=member.auth if member else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return {key: body[key] for key in ("likes", "views", "unique_viewers", "comments")}


def test_a_posts_stats_count_every_kind_of_event_exactly(
    api: httpx.Client, gateway_url: str, members: Members, posts: Posts
) -> None:
    author, ann, bob, cyd = (members.create() for _ in range(4))
    post = posts.create(author)
    path = f"/posts/{post['id']}"
    for fan in (ann, bob, cyd):
        assert api.put(f"{path}/like", headers=fan.auth).status_code == 200
    api.delete(f"{path}/like", headers=bob.auth)  # bob takes it back…
    api.put(f"{path}/like", headers=bob.auth)  # …and likes again: still one like
    api.delete(f"{path}/like", headers=cyd.auth)  # cyd's is gone
    first = api.post(f"{path}/comments", json={"text": "one"}, headers=ann.auth).json()
    api.post(f"{path}/comments", json={"text": "two"}, headers=bob.auth)
    api.post(f"{path}/comments", json={"text": "re", "parent_id": first["id"]}, headers=author.auth)
    doomed = api.post(f"{path}/comments", json={"text": "oops"}, headers=cyd.auth).json()
    api.delete(f"{path}/comments/{doomed['id']}", headers=cyd.auth)
    for reader in (ann, ann, bob):
        assert api.get(path, headers=reader.auth).status_code == 200
    with api_client(gateway_url) as anonymous:  # one anonymous reader, twice
        anonymous.get(path)
        anonymous.get(path)
    api.get(f"/users/{author.username}/posts")  # a wall is not a view of the post
    expected = {"likes": 2, "views": 5, "unique_viewers": 3, "comments": 3}
    eventually(lambda: stats_of(api, post["id"]), expected)


def test_stats_of_a_post_need_the_right_to_see_it(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, other = members.create(), members.create()
    post = posts.create(author, visibility="private")
    assert api.get(f"/posts/{post['id']}/stats", headers=other.auth).status_code == 404
    assert api.get(f"/posts/{post['id']}/stats").status_code == 404
    assert api.get(f"/posts/{post['id']}/stats", headers=author.auth).status_code == 200


def test_top_posts_rank_by_likes_and_hide_what_the_caller_may_not_see(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    fans = [members.create() for _ in range(12)]
    big, small = posts.create(author, "big"), posts.create(author, "small")
    for fan in fans:
        api.put(f"/posts/{big['id']}/like", headers=fan.auth)
    for fan in fans[:9]:
        api.put(f"/posts/{small['id']}/like", headers=fan.auth)

    def ranking(member: Member | None = None) -> list[tuple[str, int]]:
        response = api.get(
            "/stats/top-posts",
            params={"metric": "likes", "period": "day", "limit": 100},
            headers=member.auth if member else {},
        )
        assert response.status_code == 200, response.text
        ours = {big["id"], small["id"]}
        return [
            (item["post"]["id"], item["value"])
            for item in response.json()["items"]
            if item["post"]["id"] in ours
        ]

    eventually(ranking, [(big["id"], 12), (small["id"], 9)])
    api.patch(f"/posts/{big['id']}", json={"visibility": "private"}, headers=author.auth)
    assert ranking() == [(small["id"], 9)]
    assert ranking(author) == [(big["id"], 12), (small["id"], 9)]
    follower, stranger = fans[0], fans[1]
    api.post(f"/users/{author.username}/follow", headers=follower.auth)
    api.patch(f"/posts/{big['id']}", json={"visibility": "followers"}, headers=author.auth)
    assert ranking(follower) == [(big["id"], 12), (small["id"], 9)]
    assert ranking(stranger) == [(small["id"], 9)]
    top_authors = api.get(
        "/stats/top-authors", params={"metric": "likes", "period": "all", "limit": 100}
    ).json()
    assert {
        "author": {"id": author.id, "username": author.username, "display_name": ""},
        "value": 21,
    } in top_authors["items"]


def test_my_stats_give_totals_and_a_series_per_day(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, fan = members.create(), members.create()
    post = posts.create(author)
    api.put(f"/posts/{post['id']}/like", headers=fan.auth)
    api.post(f"/posts/{post['id']}/comments", json={"text": "hi"}, headers=fan.auth)
    api.get(f"/posts/{post['id']}", headers=fan.auth)
    today = datetime.datetime.now(tz=datetime.UTC).date()
    week_ago = today - datetime.timedelta(days=6)

    def mine() -> dict[str, Any]:
        response = api.get(
            "/users/me/stats", params={"from": str(week_ago), "to": str(today)}, headers=author.auth
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    body = eventually(lambda: mine()["totals"], {"likes": 1, "views": 1, "comments": 1})
    series = mine()
    assert (series["from"], series["to"]) == (str(week_ago), str(today))
    assert [day["date"] for day in series["days"]] == [
        str(week_ago + datetime.timedelta(days=n)) for n in range(7)
    ]
    assert series["days"][-1] == {
        "date": str(today),
        "likes": 1,
        "views": 1,
        "unique_viewers": 1,
        "comments": 1,
    }
    assert all(day["likes"] == day["views"] == 0 for day in series["days"][:-1])
    assert body == series["totals"]


def test_my_stats_validate_the_range_and_need_a_token(api: httpx.Client, members: Members) -> None:
    member = members.create()
    assert api.get("/users/me/stats").status_code == 401
    backwards = api.get(
        "/users/me/stats", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=member.auth
    )
    assert backwards.status_code == 422
    too_long = api.get(
        "/users/me/stats", params={"from": "2024-01-01", "to": "2026-01-01"}, headers=member.auth
    )
    assert too_long.status_code == 422
    not_a_date = api.get("/users/me/stats", params={"from": "yesterday"}, headers=member.auth)
    assert (not_a_date.status_code, not_a_date.json()["errors"][0]["field"]) == (422, "from")


def test_rankings_validate_their_parameters(api: httpx.Client) -> None:
    for params in ({"metric": "shares"}, {"period": "year"}, {"limit": 0}, {"limit": 101}):
        response = api.get("/stats/top-posts", params=params)
        assert response.status_code in (400, 422), response.text
        assert response.json()["errors"][0]["field"] == next(iter(params))
