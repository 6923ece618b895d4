"""Comments and replies through the REST API."""

from __future__ import annotations

import concurrent.futures
import uuid
from typing import Any

import httpx

from tests.factories import Member, Members, Posts, api_client


def comment(
    api: httpx.Client, member: Member, post_id: str, text: str, parent_id: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text} if parent_id is None else {"text": text, "parent_id": parent_id}
    response = api.post(f"/posts/{post_id}/comments", json=body, headers=member.auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_comments_are_listed_oldest_first_with_their_authors(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, reader = members.create(), members.create(display_name="Reader")
    post = posts.create(author)
    first = comment(api, reader, post["id"], "  first!  ")
    second = comment(api, author, post["id"], "thanks")
    assert first["text"] == "first!"
    assert first["author"] == {"id": reader.id, "username": reader.username, "display_name": "Reader"}
    assert (first["post_id"], first["parent_id"], first["reply_count"]) == (post["id"], None, 0)
    listed = api.get(f"/posts/{post['id']}/comments").json()
    assert [c["id"] for c in listed["items"]] == [first["id"], second["id"]]
    assert listed["next_cursor"] is None
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 2


def test_replies_are_listed_under_their_comment(api: httpx.Client, members: Members, posts: Posts) -> None:
    author, reader = members.create(), members.create()
    post = posts.create(author)
    top = comment(api, reader, post["id"], "question?")
    reply = comment(api, author, post["id"], "answer", parent_id=top["id"])
    reply_to_reply = comment(api, reader, post["id"], "thanks!", parent_id=reply["id"])
    # One level of threading: a reply to a reply joins the same thread.
    assert reply["parent_id"] == top["id"]
    assert reply_to_reply["parent_id"] == top["id"]
    top_level = api.get(f"/posts/{post['id']}/comments").json()["items"]
    assert [(c["id"], c["reply_count"]) for c in top_level] == [(top["id"], 2)]
    replies = api.get(f"/posts/{post['id']}/comments", params={"parent_id": top["id"]}).json()["items"]
    assert [c["id"] for c in replies] == [reply["id"], reply_to_reply["id"]]
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 3


def test_a_reply_must_belong_to_the_same_post(api: httpx.Client, members: Members, posts: Posts) -> None:
    member = members.create()
    one, other = posts.create(member), posts.create(member)
    elsewhere = comment(api, member, one["id"], "on the first post")
    response = api.post(
        f"/posts/{other['id']}/comments",
        json={"text": "x", "parent_id": elsewhere["id"]},
        headers=member.auth,
    )
    assert response.status_code in (404, 422)
    assert api.get(f"/posts/{other['id']}").json()["comment_count"] == 0


def test_comments_may_be_deleted_by_their_author_or_the_posts_author(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, commenter, stranger = members.create(), members.create(), members.create()
    post = posts.create(author)
    mine = comment(api, commenter, post["id"], "mine")
    theirs = comment(api, commenter, post["id"], "also mine")
    assert api.delete(f"/posts/{post['id']}/comments/{mine['id']}", headers=stranger.auth).status_code == 403
    assert api.delete(f"/posts/{post['id']}/comments/{mine['id']}", headers=commenter.auth).status_code == 204
    assert api.delete(f"/posts/{post['id']}/comments/{theirs['id']}", headers=author.auth).status_code == 204
    assert api.get(f"/posts/{post['id']}/comments").json()["items"] == []
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 0
    gone = api.delete(f"/posts/{post['id']}/comments/{mine['id']}", headers=commenter.auth)
    assert (gone.status_code, gone.json()["code"]) == (404, "comment_not_found")


def test_deleting_a_comment_deletes_its_replies(api: httpx.Client, members: Members, posts: Posts) -> None:
    author = members.create()
    post = posts.create(author)
    top = comment(api, author, post["id"], "top")
    comment(api, author, post["id"], "reply", parent_id=top["id"])
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 2
    assert api.delete(f"/posts/{post['id']}/comments/{top['id']}", headers=author.auth).status_code == 204
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 0


def test_only_those_who_see_a_post_see_or_write_its_comments(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author, stranger = members.create(), members.create()
    post = posts.create(author, visibility="private")
    comment(api, author, post["id"], "note to self")
    assert api.get(f"/posts/{post['id']}/comments", headers=stranger.auth).status_code == 404
    assert api.get(f"/posts/{post['id']}/comments").status_code == 404
    refused = api.post(f"/posts/{post['id']}/comments", json={"text": "hi"}, headers=stranger.auth)
    assert refused.status_code == 404
    assert len(api.get(f"/posts/{post['id']}/comments", headers=author.auth).json()["items"]) == 1


def test_invalid_comments_are_rejected(api: httpx.Client, members: Members, posts: Posts) -> None:
    member = members.create()
    post = posts.create(member)
    for body, field in (
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "  "}, "text"),
        ({"text": "reversed \u202etxet"}, "text"),
        ({"text": "bell \x07"}, "text"),
    ):
        response = api.post(f"/posts/{post['id']}/comments", json=body, headers=member.auth)
        assert response.status_code == 422, response.text
        assert field in {e["field"] for e in response.json()["errors"]}
    assert (
        api.post(f"/posts/{post['id']}/comments", json={"text": "x" * 2000}, headers=member.auth).status_code
        == 201
    )


def test_a_comment_in_any_script_with_emoji_comes_back_unchanged(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    member = members.create()
    post = posts.create(member)
    text = "تعليق جميل 👨\u200d👩\u200d👧\u200d👦 עברית 漢字 a\u0308\nsecond line"
    assert comment(api, member, post["id"], text)["text"] == text
    assert api.get(f"/posts/{post['id']}/comments").json()["items"][0]["text"] == text


def test_comments_page_by_cursor(api: httpx.Client, members: Members, posts: Posts) -> None:
    member = members.create()
    post = posts.create(member)
    written = [comment(api, member, post["id"], f"comment {i}")["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/posts/{post['id']}/comments", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == written


# --- idempotency --------------------------------------------------------------------------------


def test_a_repeated_idempotency_key_returns_the_first_comment(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    post = posts.create(author)
    headers = {"Idempotency-Key": f"c-{uuid.uuid4()}", **author.auth}
    first = api.post(f"/posts/{post['id']}/comments", json={"text": "only once"}, headers=headers)
    again = api.post(f"/posts/{post['id']}/comments", json={"text": "only once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    listed = api.get(f"/posts/{post['id']}/comments").json()["items"]
    assert [c["id"] for c in listed] == [first.json()["id"]]
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 1


def test_concurrent_comments_with_one_key_add_one(gateway_url: str, members: Members, posts: Posts) -> None:
    author = members.create()
    post = posts.create(author)
    headers = {"Idempotency-Key": f"double-click-{uuid.uuid4()}", **author.auth}

    def submit(_: int) -> str:
        with api_client(gateway_url) as client:
            response = client.post(f"/posts/{post['id']}/comments", json={"text": "me too"}, headers=headers)
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(submit, range(8)))
    assert len(ids) == 1
    with api_client(gateway_url) as client:
        assert client.get(f"/posts/{post['id']}").json()["comment_count"] == 1


def test_reusing_a_key_for_another_comment_or_a_post_is_409(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    post = posts.create(author)
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}", **author.auth}
    assert (
        api.post(f"/posts/{post['id']}/comments", json={"text": "first"}, headers=headers).status_code == 201
    )
    for reused in (
        api.post(f"/posts/{post['id']}/comments", json={"text": "something else"}, headers=headers),
        api.post("/posts", json={"text": "first"}, headers=headers),  # a key names one request
    ):
        assert reused.status_code == 409, reused.text
        assert reused.json()["code"] == "idempotency_key_reused"
        assert [e["field"] for e in reused.json()["errors"]] == ["Idempotency-Key"]
    assert api.get(f"/posts/{post['id']}").json()["comment_count"] == 1


def test_a_malformed_idempotency_key_on_a_comment_is_rejected(
    api: httpx.Client, members: Members, posts: Posts
) -> None:
    author = members.create()
    post = posts.create(author)
    response = api.post(
        f"/posts/{post['id']}/comments",
        json={"text": "x"},
        headers={"Idempotency-Key": "has spaces", **author.auth},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
