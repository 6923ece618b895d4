"""What a hostile client found, each fixed and kept fixed: inputs that were server errors, cursors
that paged other lists, headers that were missing, and the rules the contract now states."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Members, Posts, registration


def problem_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["code"])


# ---- inputs that answered 500 -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["all", "users", "posts"])
def test_a_nul_in_the_search_query_is_422_naming_q(api: httpx.Client, kind: str) -> None:
    response = api.get("/search", params={"q": "ab\x00", "type": kind})
    assert response.status_code == 422
    assert problem_code(response) == "validation_failed"
    assert response.json()["errors"][0]["field"] == "q"


@pytest.mark.parametrize("path", ["/auth/login", "/auth/logout", "/auth/register", "/auth/refresh"])
def test_deeply_nested_json_is_refused_before_anything_decodes_it(api: httpx.Client, path: str) -> None:
    body = b"[" * 1000 + b"]" * 1000
    response = api.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert problem_code(response) == "malformed_body"
    assert "nests deeper" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(api: httpx.Client) -> None:
    body = {"username": "[[[[" * 40, "password": "{{{{" * 30}
    assert api.post("/auth/login", json=body).status_code == 401


def test_a_body_that_is_not_utf8_is_400_malformed_body(api: httpx.Client) -> None:
    response = api.post(
        "/auth/logout", content=b'{"refresh_token":"\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert problem_code(response) == "malformed_body"


def test_a_range_ending_near_the_year_1_is_422(api: httpx.Client, members: Members) -> None:
    member = members.create()
    response = api.get("/users/me/stats", params={"to": "0001-01-01"}, headers=member.auth)
    assert response.status_code == 422
    assert problem_code(response) == "validation_failed"


# ---- query strings ------------------------------------------------------------------------------


def test_an_unknown_query_parameter_is_422_naming_it(api: httpx.Client) -> None:
    response = api.get("/search", params={"q": "ada", "limt": "5"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "limt", "message": "Unknown query parameter."}]


def test_a_repeated_query_parameter_is_422_naming_it(api: httpx.Client, members: Members) -> None:
    member = members.create()
    response = api.get(f"/users/{member.username}/posts?limit=5&limit=50")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "limit", "message": "Give this parameter once."}]


def test_a_route_without_parameters_refuses_any(api: httpx.Client, members: Members) -> None:
    member = members.create()
    assert api.get("/users/me?verbose=1", headers=member.auth).status_code == 422


# ---- cursors bound to their list ----------------------------------------------------------------


def test_a_cursor_of_one_wall_does_not_page_another(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    ada, bob = members.create(), members.create()
    for author in (ada, ada, bob, bob):
        posts.create(author)
    ada_cursor = api.get(f"/users/{ada.username}/posts", params={"limit": 1}).json()["next_cursor"]
    assert ada_cursor is not None
    assert (
        api.get(f"/users/{ada.username}/posts", params={"limit": 1, "cursor": ada_cursor}).status_code == 200
    )
    other = api.get(f"/users/{bob.username}/posts", params={"limit": 1, "cursor": ada_cursor})
    assert other.status_code == 400
    assert problem_code(other) == "invalid_cursor"
    # Nor another kind of list: the wall's cursor is not one of the feed's or of someone's likes.
    assert api.get("/feed", params={"cursor": ada_cursor}, headers=ada.auth).status_code == 400
    assert api.get("/users/me/likes", params={"cursor": ada_cursor}, headers=ada.auth).status_code == 400


def test_a_followers_cursor_does_not_page_another_owners_followers(
    api: httpx.Client, members: Members
) -> None:
    ada, bob = members.create(), members.create()
    for _ in range(2):
        fan = members.create()
        for star in (ada, bob):
            assert api.post(f"/users/{star.username}/follow", headers=fan.auth).status_code == 200
    cursor = api.get(f"/users/{ada.username}/followers", params={"limit": 1}).json()["next_cursor"]
    assert cursor is not None
    other = api.get(f"/users/{bob.username}/followers", params={"limit": 1, "cursor": cursor})
    assert other.status_code == 400
    assert problem_code(other) == "invalid_cursor"
    mine = api.get("/users/me/following", params={"cursor": cursor}, headers=ada.auth)
    assert mine.status_code == 400


def test_a_search_cursor_works_only_with_its_own_query(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    for _ in range(3):
        posts.create(author, text="cursorbinding kestrel notes")
    first = api.get("/search", params={"q": "cursorbinding", "type": "posts", "limit": 1}).json()
    assert first["next_cursor"] is not None
    same = api.get(
        "/search", params={"q": "cursorbinding", "type": "posts", "limit": 1, "cursor": first["next_cursor"]}
    )
    assert same.status_code == 200
    other = api.get(
        "/search", params={"q": "kestrel", "type": "posts", "limit": 1, "cursor": first["next_cursor"]}
    )
    assert other.status_code == 400
    assert problem_code(other) == "invalid_cursor"


# ---- methods and headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/posts/00000000-0000-0000-0000-000000000000", "/users/me", "/feed", "/posts"]
)
def test_options_and_405_list_the_same_methods(api: httpx.Client, path: str) -> None:
    options = api.options(path)
    refused = api.request("TRACE", path)
    assert options.status_code == 204
    assert refused.status_code == 405
    assert options.headers["allow"] == refused.headers["allow"]
    assert "OPTIONS" in options.headers["allow"]


def test_every_answer_forbids_sniffing_and_tokens_are_not_cached(api: httpx.Client, members: Members) -> None:
    member = members.create()
    login = api.post("/auth/login", json={"username": member.username, "password": member.password})
    refreshed = api.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    for response in (login, refreshed):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
    for response in (login, api.get("/nowhere"), api.request("TRACE", "/posts"), api.get("/users/nobody_x")):
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_may_not_be_framed_and_loads_nothing_from_elsewhere(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/docs")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy


def test_cors_is_off_by_default(api: httpx.Client) -> None:
    response = api.get("/search", params={"q": "ada"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


# ---- what people write --------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["display_name", "bio"])
@pytest.mark.parametrize("text", ["Ada \u202eevil", "Ada\u2066x", "Ada\x85", "Ada\x07"])
def test_names_and_bios_refuse_controls_and_bidi_overrides(
    api: httpx.Client, members: Members, field: str, text: str
) -> None:
    member = members.create()
    response = api.patch("/users/me", json={field: text}, headers=member.auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("text", ["Åsa Öberg 👩🏽‍💻", "مريم", "שרה", "王芳", "Zoë\u200d"])
def test_names_in_every_script_and_emoji_stay_intact(api: httpx.Client, members: Members, text: str) -> None:
    member = members.create()
    response = api.patch("/users/me", json={"display_name": text}, headers=member.auth)
    assert response.status_code == 200
    assert response.json()["display_name"] == text


def test_a_control_character_in_an_email_address_is_422(api: httpx.Client) -> None:
    # Found by the property-based run: NUL passed the pattern, and PostgreSQL refused it (500).
    response = api.post("/auth/register", json=registration(email="ada\x00@example.org"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
