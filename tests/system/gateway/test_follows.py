"""Following, unfollowing, requests to private accounts, and the lists of followers and following,
end to end through the REST API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.factories import Member, Members, api_client


def follow(api: httpx.Client, who: Member, whom: Member) -> httpx.Response:
    return api.post(f"/users/{whom.username}/follow", headers=who.auth)


def relationship(api: httpx.Client, who: Member, other: Member) -> dict[str, Any]:
    response = api.get(f"/users/{other.username}/relationship", headers=who.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def usernames(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return [item["user"]["username"] for item in page.json()["items"]]


def make_private(api: httpx.Client, member: Member, private: bool = True) -> None:
    response = api.patch("/users/me", json={"is_private": private}, headers=member.auth)
    assert response.status_code == 200, response.text


NOTHING = dict.fromkeys(
    (
        "following",
        "followed_by",
        "requested",
        "requested_by",
        "blocking",
        "blocked_by",
        "muting",
        "muting_notifications",
    ),
    False,
)


def test_following_a_public_account_takes_effect_at_once(api: httpx.Client, members: Members) -> None:
    ada, bob = members.create(), members.create()

    response = follow(api, ada, bob)

    assert response.status_code == 200
    assert response.json() == {**NOTHING, "following": True}
    assert relationship(api, bob, ada) == {**NOTHING, "followed_by": True}
    assert usernames(api.get(f"/users/{bob.username}/followers")) == [ada.username]
    assert usernames(api.get(f"/users/{ada.username}/following")) == [bob.username]
    profile = api.get(f"/users/{bob.username}").json()
    assert (profile["follower_count"], profile["following_count"]) == (1, 0)
    assert api.get("/users/me", headers=ada.auth).json()["following_count"] == 1


def test_following_twice_is_a_conflict_and_changes_nothing(api: httpx.Client, members: Members) -> None:
    ada, bob = members.create(), members.create()
    follow(api, ada, bob)

    again = follow(api, ada, bob)

    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "already_following"
    assert usernames(api.get(f"/users/{bob.username}/followers")) == [ada.username]


def test_nobody_follows_themselves(api: httpx.Client, members: Members) -> None:
    ada = members.create()

    response = follow(api, ada, ada)

    assert response.status_code == 422
    assert response.json()["code"] == "cannot_follow_self"
    assert relationship(api, ada, ada) == NOTHING


def test_following_needs_a_token_and_an_existing_user(api: httpx.Client, members: Members) -> None:
    ada = members.create()

    assert api.post(f"/users/{ada.username}/follow").status_code == 401
    missing = api.post("/users/no_such_user_here/follow", headers=ada.auth)
    assert missing.status_code == 404
    assert missing.json()["code"] == "user_not_found"
    assert api.get(f"/users/{ada.username}/relationship").status_code == 401


def test_unfollowing_ends_the_follow(api: httpx.Client, members: Members) -> None:
    ada, bob = members.create(), members.create()
    follow(api, ada, bob)

    response = api.delete(f"/users/{bob.username}/follow", headers=ada.auth)

    assert response.status_code == 200
    assert response.json() == NOTHING
    assert usernames(api.get(f"/users/{bob.username}/followers")) == []
    again = api.delete(f"/users/{bob.username}/follow", headers=ada.auth)
    assert again.status_code == 404
    assert again.json()["code"] == "not_following"


def test_a_private_account_gets_a_request_instead(api: httpx.Client, members: Members) -> None:
    ada, bob = members.create(), members.create()
    make_private(api, bob)

    response = follow(api, ada, bob)

    assert response.status_code == 200
    assert response.json() == {**NOTHING, "requested": True}
    assert relationship(api, bob, ada) == {**NOTHING, "requested_by": True}
    requests = api.get("/users/me/follow-requests", headers=bob.auth)
    assert usernames(requests) == [ada.username]
    assert usernames(api.get("/users/me/followers", headers=bob.auth)) == []
    again = follow(api, ada, bob)
    assert again.status_code == 409
    assert again.json()["code"] == "already_requested"


def test_withdrawing_a_request(api: httpx.Client, members: Members) -> None:
    ada, bob = members.create(), members.create()
    make_private(api, bob)
    follow(api, ada, bob)

    response = api.delete(f"/users/{bob.username}/follow", headers=ada.auth)

    assert response.status_code == 200
    assert response.json() == NOTHING
    assert usernames(api.get("/users/me/follow-requests", headers=bob.auth)) == []


def test_accepting_and_rejecting_one_request(api: httpx.Client, members: Members) -> None:
    owner, ada, bob = members.create(), members.create(), members.create()
    make_private(api, owner)
    follow(api, ada, owner)
    follow(api, bob, owner)

    accepted = api.post(f"/users/me/follow-requests/{ada.username}/accept", headers=owner.auth)
    rejected = api.post(f"/users/me/follow-requests/{bob.username}/reject", headers=owner.auth)

    assert (accepted.status_code, rejected.status_code) == (204, 204)
    assert relationship(api, ada, owner) == {**NOTHING, "following": True}
    assert relationship(api, bob, owner) == NOTHING
    assert usernames(api.get("/users/me/followers", headers=owner.auth)) == [ada.username]
    assert usernames(api.get("/users/me/follow-requests", headers=owner.auth)) == []


def test_answering_a_request_that_does_not_exist_is_not_found(api: httpx.Client, members: Members) -> None:
    owner, ada, follower = members.create(), members.create(), members.create()
    make_private(api, owner)
    follow(api, follower, owner)
    api.post(f"/users/me/follow-requests/{follower.username}/accept", headers=owner.auth)

    for action in ("accept", "reject"):
        nobody = api.post(f"/users/me/follow-requests/{ada.username}/{action}", headers=owner.auth)
        already = api.post(f"/users/me/follow-requests/{follower.username}/{action}", headers=owner.auth)
        assert nobody.status_code == already.status_code == 404
        assert nobody.json()["code"] == already.json()["code"] == "follow_request_not_found"
    missing = api.post("/users/me/follow-requests/no_such_user_here/accept", headers=owner.auth)
    assert missing.json()["code"] == "user_not_found"
    assert relationship(api, follower, owner)["following"] is True


def test_accepting_and_rejecting_all_requests(api: httpx.Client, members: Members) -> None:
    owner, other = members.create(), members.create()
    make_private(api, owner)
    make_private(api, other)
    askers = [members.create() for _ in range(3)]
    for asker in askers:
        follow(api, asker, owner)
        follow(api, asker, other)

    accepted = api.post("/users/me/follow-requests/accept-all", headers=owner.auth)
    rejected = api.post("/users/me/follow-requests/reject-all", headers=other.auth)

    assert accepted.status_code == rejected.status_code == 200
    assert accepted.json() == rejected.json() == {"count": 3}
    assert sorted(usernames(api.get("/users/me/followers", headers=owner.auth))) == sorted(
        asker.username for asker in askers
    )
    assert usernames(api.get("/users/me/followers", headers=other.auth)) == []
    assert api.post("/users/me/follow-requests/accept-all", headers=owner.auth).json() == {"count": 0}


def test_turning_private_keeps_followers_and_turning_public_accepts_requests(
    api: httpx.Client, members: Members
) -> None:
    owner, early, late = members.create(), members.create(), members.create()
    follow(api, early, owner)
    make_private(api, owner)
    follow(api, late, owner)
    assert relationship(api, early, owner)["following"] is True
    assert relationship(api, late, owner)["requested"] is True

    make_private(api, owner, private=False)

    assert relationship(api, late, owner) == {**NOTHING, "following": True}
    assert sorted(usernames(api.get(f"/users/{owner.username}/followers"))) == sorted(
        [early.username, late.username]
    )


def test_a_private_accounts_lists_are_for_its_followers(api: httpx.Client, members: Members) -> None:
    owner, follower, stranger = members.create(), members.create(), members.create()
    follow(api, follower, owner)
    make_private(api, owner)

    for path in (f"/users/{owner.username}/followers", f"/users/{owner.username}/following"):
        anonymous, refused = api.get(path), api.get(path, headers=stranger.auth)
        assert anonymous.status_code == refused.status_code == 403
        assert refused.json()["code"] == "private_account"
        assert api.get(path, headers=follower.auth).status_code == 200
        assert api.get(path, headers=owner.auth).status_code == 200


def test_removing_a_follower(api: httpx.Client, members: Members) -> None:
    owner, ada = members.create(), members.create()
    follow(api, ada, owner)

    removed = api.delete(f"/users/me/followers/{ada.username}", headers=owner.auth)

    assert removed.status_code == 204
    assert relationship(api, ada, owner) == NOTHING
    again = api.delete(f"/users/me/followers/{ada.username}", headers=owner.auth)
    assert again.status_code == 404
    assert again.json()["code"] == "not_a_follower"


def test_lists_page_most_recent_first_without_repeats(api: httpx.Client, members: Members) -> None:
    star = members.create()
    fans = [members.create() for _ in range(5)]
    for fan in fans:
        follow(api, fan, star)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get(f"/users/{star.username}/followers", params=params)
        seen += usernames(page)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        # A follow arriving between pages lands before the cursor: it does not shift later pages.
        follow(api, members.create(), star)

    assert seen == [fan.username for fan in reversed(fans)]


def test_a_cursor_from_another_list_or_tampered_is_refused(api: httpx.Client, members: Members) -> None:
    star = members.create()
    for _ in range(2):
        follow(api, members.create(), star)
    cursor = api.get(f"/users/{star.username}/followers", params={"limit": 1}).json()["next_cursor"]

    for path, bad in (
        (f"/users/{star.username}/following", cursor),
        (f"/users/{star.username}/followers", cursor[:-3]),
        (f"/users/{star.username}/followers", "not a cursor!"),
        (f"/users/{star.username}/followers", "AAAA"),
    ):
        response = api.get(path, params={"cursor": bad})
        assert response.status_code == 400, (path, bad, response.text)
        assert response.json()["code"] == "invalid_cursor"
    assert api.get(f"/users/{star.username}/followers", params={"limit": 0}).status_code == 422


def test_turning_public_while_requests_arrive_leaves_none_waiting(
    api: httpx.Client, gateway_url: str, members: Members
) -> None:
    owner = members.create()
    make_private(api, owner)
    askers = [members.create() for _ in range(8)]

    def ask(asker: Member) -> int:
        with api_client(gateway_url) as client:
            return follow(client, asker, owner).status_code

    def turn_public() -> None:
        with api_client(gateway_url) as client:
            make_private(client, owner, private=False)

    with ThreadPoolExecutor(len(askers) + 1) as pool:
        asked = [pool.submit(ask, asker) for asker in askers[:4]]
        turned = pool.submit(turn_public)
        asked += [pool.submit(ask, asker) for asker in askers[4:]]
        assert {future.result() for future in asked} == {200}
        turned.result()

    # Whichever came first, a public account has nobody waiting: every request became a follow.
    assert usernames(api.get("/users/me/follow-requests", headers=owner.auth)) == []
    assert sorted(
        usernames(api.get("/users/me/followers", headers=owner.auth, params={"limit": 100}))
    ) == sorted(asker.username for asker in askers)


def test_following_at_once_twice_makes_one_follow(
    api: httpx.Client, gateway_url: str, members: Members
) -> None:
    ada, bob = members.create(), members.create()

    def attempt(_: int) -> int:
        with api_client(gateway_url) as client:
            return follow(client, ada, bob).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(attempt, range(4)))

    assert statuses == [200, 409, 409, 409]
    assert api.get(f"/users/{bob.username}").json()["follower_count"] == 1
