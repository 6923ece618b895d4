"""Search end to end: accounts (exact, prefix, word prefix, typos) from the gateway's database, posts
(full-text, only those the caller may read) from the posts service, one cursor for both lists.

Many tests share one database, so each test searches for a word of its own: random letters."""

from __future__ import annotations

import base64
import json
import secrets
import string
from typing import Any

import httpx
import pytest

from tests.factories import Member, Members, Posts, unique_username


def word(length: int = 8) -> str:
    """Random lower-case letters: a word no other test uses."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


def search(api: httpx.Client, q: str, member: Member | None = None, **params: Any) -> dict[str, Any]:
    response = api.get("/search", params={"q": q, **params}, headers=member.auth if member else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def usernames(api: httpx.Client, q: str, **params: Any) -> list[str]:
    return [user["username"] for user in search(api, q, type="users", limit=100, **params)["users"]]


def post_ids(api: httpx.Client, q: str, member: Member | None = None) -> list[str]:
    return [post["id"] for post in search(api, q, member, type="posts", limit=100)["posts"]]


def follow(api: httpx.Client, follower: Member, followee: Member) -> None:
    response = api.post(f"/users/{followee.username}/follow", headers=follower.auth)
    assert response.status_code == 200, response.text


def assert_problem(response: httpx.Response, statuses: tuple[int, ...], code: str | None = None) -> None:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if code:
        assert response.json()["code"] == code


# ---- accounts ----------------------------------------------------------------------------------------


def test_the_username_itself_comes_first_then_prefixes_then_words_then_typos(
    api: httpx.Client, members: Members
) -> None:
    name = word()
    typo = name[:4] + ("x" if name[4] != "x" else "y") + name[5:]
    fuzzy = members.create(username=unique_username("f"), display_name=f"Dr {typo}")
    in_display_name = members.create(username=unique_username("d"), display_name=f"Ann {name}ia Smith")
    prefixed = members.create(username=f"{name}_fan")
    exact = members.create(username=name)

    found = search(api, name, type="users")
    assert [user["username"] for user in found["users"]] == [
        exact.username,
        prefixed.username,
        in_display_name.username,
        fuzzy.username,
    ]
    assert found["users"][0] == {"id": exact.id, "username": name, "display_name": "", "is_private": False}
    assert found["posts"] == []
    assert found["next_cursor"] is None


def test_a_username_prefix_finds_the_account(api: httpx.Client, members: Members) -> None:
    name = word(10)
    member = members.create(username=f"{name}_lovelace")
    assert usernames(api, name[:4]) == [member.username]
    assert usernames(api, f"{name}_love") == [member.username]


def test_a_word_of_the_display_name_or_username_is_found_by_its_start(
    api: httpx.Client, members: Members
) -> None:
    first, surname = word(8), word()
    by_display_name = members.create(display_name=f"{first.title()} {surname.title()}-Hopper")
    by_username = members.create(username=f"42_{surname}")  # digits: no trigram in common with `first`
    assert sorted(usernames(api, surname[:4])) == sorted([by_display_name.username, by_username.username])
    # Several words match consecutive words, whatever separates them (and rank above a mere likeness).
    assert usernames(api, f"{first} {surname[:5]}")[0] == by_display_name.username
    # The other shares a word, close enough to come after it.
    assert usernames(api, f"{surname}_hop") == [by_display_name.username, by_username.username]


def test_a_typo_still_finds_the_account(api: httpx.Client, members: Members) -> None:
    # All letters random: a shared ending such as "lace" would make the typo close to other tests' names.
    first, name = word(4), word(10)
    member = members.create(username=name, display_name=f"{first.title()} {name.title()}")
    wrong = name[:7] + ("x" if name[7] != "x" else "y") + name[8:]
    swapped = name[:8] + name[9] + name[8] if name[8] != name[9] else name[:7] + name[8] + name[7] + name[9]
    assert usernames(api, wrong) == [member.username]  # one wrong letter
    assert usernames(api, name[:2] + name[3:]) == [member.username]  # one missing
    assert usernames(api, f"{first} {swapped}") == [member.username]  # two swapped, in the display name
    assert usernames(api, word(10)) == []  # and a different name is not close enough


def test_a_typo_in_one_word_of_a_longer_name_still_finds_it(api: httpx.Client, members: Members) -> None:
    first, last = word(5), word(7)
    member = members.create(username=unique_username("w"), display_name=f"{first.title()} {last.title()}")
    typo = last[:3] + last[4:]  # one letter missing from the surname alone
    assert usernames(api, typo) == [member.username]


def test_search_ignores_case(api: httpx.Client, members: Members) -> None:
    name = word()
    member = members.create(username=f"{name}_x", display_name=f"{name.upper()} Lovelace")
    assert usernames(api, name.upper()) == [member.username]
    assert usernames(api, f"{name.title()} LOVE") == [member.username]


def test_private_accounts_are_found(api: httpx.Client, members: Members) -> None:
    name = word()
    member = members.create(username=name)
    response = api.patch("/users/me", json={"is_private": True}, headers=member.auth)
    assert response.status_code == 200, response.text
    [found] = search(api, name, type="users")["users"]
    assert (found["username"], found["is_private"]) == (name, True)


def test_like_wildcards_in_the_query_are_taken_literally(api: httpx.Client, members: Members) -> None:
    member = members.create(username=f"__{word()}")
    assert usernames(api, "%%") == []  # not "every username"
    found = usernames(api, "__")  # not "every username of two characters or more"
    assert member.username in found
    assert all(username.startswith("__") for username in found)


def test_pages_of_accounts_never_repeat_or_skip(api: httpx.Client, members: Members) -> None:
    name = word()
    created = {members.create(username=f"{name}_{i}").username for i in range(7)}
    everything = usernames(api, name)
    assert set(everything) == created

    # As close to the query as one another: in username order.
    assert everything == sorted(created)

    seen: list[str] = []
    cursor = None
    while True:
        page = search(api, name, type="users", limit=3, **({"cursor": cursor} if cursor else {}))
        assert page["posts"] == []
        seen += [user["username"] for user in page["users"]]
        if len(seen) == 3:
            # Arrives between pages; further from the query than the others, so it comes last.
            members.create(username=f"{name}_late")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [*everything, f"{name}_late"]


# ---- posts -----------------------------------------------------------------------------------------


def test_posts_are_found_by_their_words_best_match_first(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    topic = word()
    author = members.create()
    filler = " ".join(word(5) for _ in range(40))
    passing = posts.create(author, f"{filler} and then {topic} once, among many other words")
    older_focused = posts.create(author, f"{topic} {topic}, all about {topic}")
    newer_focused = posts.create(author, f"{topic} {topic}, all about {topic}")
    posts.create(author, "nothing to see here")

    found = search(api, topic, type="posts")
    assert [post["id"] for post in found["posts"]] == [
        newer_focused["id"],
        older_focused["id"],
        passing["id"],
    ]
    assert found["users"] == []
    assert found["posts"][0]["author"]["username"] == author.username
    assert found["posts"][0]["text"] == newer_focused["text"]


def test_nobody_finds_someone_elses_private_posts(api: httpx.Client, members: Members, posts: Posts) -> None:
    topic = word()
    author, other = members.create(), members.create()
    public = posts.create(author, f"public {topic}")
    private = posts.create(author, f"private {topic}", visibility="private")
    assert post_ids(api, topic, other) == [public["id"]]
    assert post_ids(api, topic) == [public["id"]]
    assert sorted(post_ids(api, topic, author)) == sorted([public["id"], private["id"]])


def test_followers_only_posts_are_found_by_followers_only(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    topic = word()
    author, follower, stranger = members.create(), members.create(), members.create()
    follow(api, follower, author)
    public = posts.create(author, f"for everyone: {topic}")
    circle = posts.create(author, f"for my followers: {topic}", visibility="followers")
    assert sorted(post_ids(api, topic, follower)) == sorted([public["id"], circle["id"]])
    assert sorted(post_ids(api, topic, author)) == sorted([public["id"], circle["id"]])
    assert post_ids(api, topic, stranger) == [public["id"]]


def test_anonymous_callers_find_public_posts_only(api: httpx.Client, members: Members, posts: Posts) -> None:
    topic = word()
    author, follower = members.create(), members.create()
    follow(api, follower, author)
    public = posts.create(author, f"hello {topic}")
    posts.create(author, f"friends {topic}", visibility="followers")
    posts.create(author, f"diary {topic}", visibility="private")
    assert post_ids(api, topic) == [public["id"]]


# ---- both ------------------------------------------------------------------------------------------


def test_all_pages_each_list_on_its_own_until_both_are_done(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    topic = word()
    people = {members.create(username=f"{topic}_{i}").username for i in range(3)}
    author = members.create()
    written = {posts.create(author, f"post {i} on {topic}")["id"] for i in range(5)}

    pages = []
    cursor = None
    while True:
        page = search(api, topic, limit=2, **({"cursor": cursor} if cursor else {}))
        pages.append(([u["username"] for u in page["users"]], [p["id"] for p in page["posts"]]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(len(users), len(found)) for users, found in pages] == [(2, 2), (1, 2), (0, 1)]
    assert sorted(u for users, _ in pages for u in users) == sorted(people)
    assert sorted(p for _, found in pages for p in found) == sorted(written)


def test_all_is_the_default_type(api: httpx.Client, members: Members, posts: Posts) -> None:
    topic = word()
    member = members.create(username=topic)
    post = posts.create(member, f"i am {topic}")
    found = search(api, topic)
    assert [u["username"] for u in found["users"]] == [member.username]
    assert [p["id"] for p in found["posts"]] == [post["id"]]
    assert found["next_cursor"] is None


# ---- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [None, "", "   ", "a", " a ", "x" * 201])
def test_a_query_must_have_2_to_200_characters(api: httpx.Client, q: str | None) -> None:
    response = api.get("/search", params={"type": "users"} | ({"q": q} if q is not None else {}))
    assert_problem(response, (422,), "validation_failed")
    assert [error["field"] for error in response.json()["errors"]] == ["q"]


def test_a_query_of_200_characters_once_trimmed_is_fine(api: httpx.Client) -> None:
    response = api.get("/search", params={"q": f"  {'x' * 200}  ", "type": "users"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "people"}, "type"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_other_parameters_are_validated(api: httpx.Client, params: dict[str, str], field: str) -> None:
    response = api.get("/search", params={"q": "ada", **params})
    assert_problem(response, (400, 422))
    assert [error["field"] for error in response.json()["errors"]] == [field]


def encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        "AAAA",
        "x" * 2000,
        encoded({"type": "users"}),  # no position
        encoded({"type": "users", "users": [-1, "ada"]}),
        encoded({"type": "users", "users": [10**30, "ada"]}),
        encoded({"type": "users", "users": [5, "\u0000"]}),
        encoded({"type": "users", "users": [5, "ada"], "extra": 1}),
        encoded({"type": "all", "users": None, "posts": None}),
        encoded({"type": "users", "users": [5, "ada"], "posts": "AAAA"}),
        encoded({"type": "all", "posts": "not base64!"}),
        encoded(["users", 5, "ada"]),
    ],
)
def test_a_malformed_cursor_is_400(api: httpx.Client, cursor: str) -> None:
    for kind in ("users", "posts", "all"):
        response = api.get("/search", params={"q": "ada", "type": kind, "cursor": cursor})
        assert_problem(response, (400,), "invalid_cursor")


def test_a_cursor_only_works_with_its_own_type(api: httpx.Client, members: Members) -> None:
    name = word()
    for i in range(3):
        members.create(username=f"{name}_{i}")
    cursor = search(api, name, type="users", limit=1)["next_cursor"]
    assert cursor is not None
    for kind in ("posts", "all"):
        response = api.get("/search", params={"q": name, "type": kind, "cursor": cursor})
        assert_problem(response, (400,), "invalid_cursor")


def test_a_posts_cursor_the_posts_service_never_made_is_400(api: httpx.Client) -> None:
    cursor = encoded({"type": "posts", "posts": "AAAAAAAA"})
    response = api.get("/search", params={"q": "ada", "type": "posts", "cursor": cursor})
    assert_problem(response, (400,), "invalid_cursor")


def test_a_bad_token_is_401_even_though_search_needs_none(api: httpx.Client) -> None:
    response = api.get("/search", params={"q": "ada"}, headers={"Authorization": "Bearer nonsense"})
    assert_problem(response, (401,), "unauthenticated")
