"""Posts through the REST API: writing, reading, editing, deleting, visibility and idempotency."""

from __future__ import annotations

import concurrent.futures
import uuid

import httpx
import pytest

from tests.factories import Members, Posts, api_client


def test_a_new_post_comes_back_with_its_author_and_counts(api: httpx.Client, members: Members) -> None:
    author = members.create(display_name="Ada")
    response = api.post("/posts", json={"text": "  Hello, Flock!  "}, headers=author.auth)
    assert response.status_code == 201
    post = response.json()
    assert post["text"] == "Hello, Flock!"
    assert post["visibility"] == "public"
    assert post["author"] == {"id": author.id, "username": author.username, "display_name": "Ada"}
    assert (post["like_count"], post["comment_count"], post["liked_by_me"]) == (0, 0, False)
    assert post["created_at"] == post["updated_at"]
    assert response.headers["location"] == f"/api/v1/posts/{post['id']}"
    assert uuid.UUID(post["id"]).version == 7


def test_anyone_may_read_a_public_post_without_a_token(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    post = posts.create(members.create(), "for everyone")
    response = api.get(f"/posts/{post['id']}")
    assert response.status_code == 200
    assert response.json()["text"] == "for everyone"


def test_a_private_post_exists_only_for_its_author(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, other = members.create(), members.create()
    post = posts.create(author, "just for me", visibility="private")
    assert api.get(f"/posts/{post['id']}", headers=author.auth).json()["text"] == "just for me"
    for headers in (other.auth, {}):
        response = api.get(f"/posts/{post['id']}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "post_not_found"
    # Not even its existence leaks through the other routes.
    assert api.patch(f"/posts/{post['id']}", json={"text": "x"}, headers=other.auth).status_code == 404
    assert api.delete(f"/posts/{post['id']}", headers=other.auth).status_code == 404
    assert api.put(f"/posts/{post['id']}/like", headers=other.auth).status_code == 404
    assert (
        api.post(f"/posts/{post['id']}/comments", json={"text": "hi"}, headers=other.auth).status_code == 404
    )


def test_only_the_author_may_edit(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, other = members.create(), members.create()
    post = posts.create(author, "original")
    refused = api.patch(f"/posts/{post['id']}", json={"text": "hijacked"}, headers=other.auth)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    edited = api.patch(f"/posts/{post['id']}", json={"text": " edited "}, headers=author.auth)
    assert edited.status_code == 200
    assert edited.json()["text"] == "edited"
    assert edited.json()["updated_at"] > edited.json()["created_at"]
    assert api.get(f"/posts/{post['id']}").json()["text"] == "edited"


def test_making_a_post_private_hides_it(api: httpx.Client, members: Members, posts: Posts) -> None:
    author = members.create()
    post = posts.create(author)
    assert (
        api.patch(f"/posts/{post['id']}", json={"visibility": "private"}, headers=author.auth).status_code
        == 200
    )
    assert api.get(f"/posts/{post['id']}").status_code == 404
    assert (
        api.patch(f"/posts/{post['id']}", json={"visibility": "public"}, headers=author.auth).status_code
        == 200
    )
    assert api.get(f"/posts/{post['id']}").status_code == 200


def test_only_the_author_may_delete_and_then_it_is_gone_for_everyone(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, other = members.create(), members.create()
    post = posts.create(author)
    api.post(f"/posts/{post['id']}/comments", json={"text": "nice"}, headers=other.auth)
    api.put(f"/posts/{post['id']}/like", headers=other.auth)
    assert api.delete(f"/posts/{post['id']}", headers=other.auth).status_code == 403
    assert api.delete(f"/posts/{post['id']}", headers=author.auth).status_code == 204
    for headers in (author.auth, other.auth, {}):
        assert api.get(f"/posts/{post['id']}", headers=headers).status_code == 404
        assert api.get(f"/posts/{post['id']}/comments", headers=headers).status_code == 404
    assert api.delete(f"/posts/{post['id']}", headers=author.auth).status_code == 404
    liked = api.get("/users/me/likes", headers=other.auth).json()["items"]
    assert post["id"] not in [p["id"] for p in liked]


def test_writing_needs_a_token(api: httpx.Client, members: Members, posts: Posts) -> None:
    post = posts.create(members.create())
    assert api.post("/posts", json={"text": "anonymous"}).status_code == 401
    assert api.patch(f"/posts/{post['id']}", json={"text": "x"}).status_code == 401
    assert api.delete(f"/posts/{post['id']}").status_code == 401
    assert api.put(f"/posts/{post['id']}/like").status_code == 401
    assert api.post(f"/posts/{post['id']}/comments", json={"text": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "pay \u202efdp.exe"}, "text"),
        ({"text": "isolate \u2067here\u2069"}, "text"),
        ({"text": "escape \x1b[31m"}, "text"),
        ({"text": "c1 \x9b control"}, "text"),
        ({"text": "ok", "visibility": "secret"}, "visibility"),
        ({"text": 42}, "text"),
        ({"text": "ok", "author_id": "someone"}, "author_id"),
        ({}, "text"),
    ],
)
def test_invalid_posts_are_rejected_and_named(
    api: httpx.Client, members: Members, body: object, field: str
) -> None:
    author = members.create()
    response = api.post("/posts", json=body, headers=author.auth)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert field in {error["field"] for error in response.json()["errors"]}
    assert api.get("/users/me/posts", headers=author.auth).json()["items"] == []


# Every script, combining marks, emoji sequences (joiners, skin tones, flags, tags) and directional marks.
KEPT_TEXT = (
    "مرحبا بالعالم — שלום 你好 e\u0301 👩\u200d💻 👍🏽 🇯🇵 🏴\U000e0067\U000e0062\U000e0077\U000e006c"
    "\U000e0073\U000e007f \u200fRLM\u200e\n\ttabbed line"
)


def test_text_in_any_script_with_emoji_comes_back_unchanged(api: httpx.Client, members: Members) -> None:
    author = members.create()
    created = api.post("/posts", json={"text": KEPT_TEXT}, headers=author.auth)
    assert created.status_code == 201, created.text
    assert created.json()["text"] == KEPT_TEXT
    assert api.get(f"/posts/{created.json()['id']}").json()["text"] == KEPT_TEXT
    edited = api.patch(f"/posts/{created.json()['id']}", json={"text": "\u202eflipped"}, headers=author.auth)
    assert edited.status_code == 422
    assert [error["field"] for error in edited.json()["errors"]] == ["text"]
    assert api.get(f"/posts/{created.json()['id']}").json()["text"] == KEPT_TEXT


def test_the_longest_post_is_accepted_once_trimmed(api: httpx.Client, members: Members) -> None:
    response = api.post("/posts", json={"text": "  " + "x" * 5000 + "\n"}, headers=members.create().auth)
    assert response.status_code == 201
    assert response.json()["text"] == "x" * 5000


def test_unknown_and_malformed_post_ids_are_404(api: httpx.Client) -> None:
    assert api.get(f"/posts/{uuid.uuid4()}").status_code == 404
    assert api.get("/posts/not-a-uuid").status_code == 404


# --- idempotency --------------------------------------------------------------------------------


def test_a_repeated_idempotency_key_returns_the_first_post(api: httpx.Client, members: Members) -> None:
    author = members.create()
    key = {"Idempotency-Key": f"draft-{uuid.uuid4()}", **author.auth}
    first = api.post("/posts", json={"text": "only once"}, headers=key)
    again = api.post("/posts", json={"text": "only once"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert [p["id"] for p in api.get("/users/me/posts", headers=author.auth).json()["items"]] == [
        first.json()["id"]
    ]


def test_concurrent_requests_with_one_key_create_one_post(gateway_url: str, members: Members) -> None:
    author = members.create()
    headers = {"Idempotency-Key": f"double-click-{uuid.uuid4()}", **author.auth}

    def submit(_: int) -> str:
        with api_client(gateway_url) as client:
            response = client.post("/posts", json={"text": "double click"}, headers=headers)
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(submit, range(8)))
    assert len(ids) == 1
    with api_client(gateway_url) as client:
        assert len(client.get("/users/me/posts", headers=author.auth).json()["items"]) == 1


def test_keys_belong_to_one_author(api: httpx.Client, members: Members) -> None:
    key = f"shared-{uuid.uuid4()}"
    first = api.post(
        "/posts", json={"text": "mine"}, headers={"Idempotency-Key": key, **members.create().auth}
    )
    second = api.post(
        "/posts", json={"text": "mine"}, headers={"Idempotency-Key": key, **members.create().auth}
    )
    assert first.json()["id"] != second.json()["id"]


def test_reusing_a_key_for_a_different_post_is_409(api: httpx.Client, members: Members) -> None:
    author = members.create()
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}", **author.auth}
    assert api.post("/posts", json={"text": "first"}, headers=headers).status_code == 201
    response = api.post("/posts", json={"text": "something else"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]


def test_a_malformed_idempotency_key_is_rejected(api: httpx.Client, members: Members) -> None:
    author = members.create()
    for key in ("k" * 201, "has spaces", "tab\there"):
        response = api.post("/posts", json={"text": "x"}, headers={"Idempotency-Key": key, **author.auth})
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["field"] == "Idempotency-Key"
        assert "regex" not in error["message"]
