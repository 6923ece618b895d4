"""Mail to followers about new posts, end to end: a post through the REST API, the event through the
broker, the notifier's fan-out into the mail outbox, the sender, and a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.factories import Member, Members, Posts, verify_email
from tests.smtp import MailServer

Verified = Callable[[], Member]


@pytest.fixture
def verified(gateway_url: str, mail_server: MailServer, members: Members) -> Verified:
    """Makes members whose e-mail address is verified (only they get mail about new posts)."""

    def make() -> Member:
        member = members.create()
        verify_email(gateway_url, mail_server, member)
        return member

    return make


def follow(api: httpx.Client, who: Member, whom: Member) -> None:
    response = api.post(f"/users/{whom.username}/follow", headers=who.auth)
    assert response.status_code == 200, response.text


def set_new_posts_mail(api: httpx.Client, member: Member, setting: str) -> None:
    response = api.patch("/users/me", json={"email_new_posts": setting}, headers=member.auth)
    assert response.status_code == 200, response.text


def test_each_verified_follower_gets_one_mail_about_a_new_post(
    api: httpx.Client, members: Members, posts: Posts, mail_server: MailServer, verified: Verified
) -> None:
    author = members.create(display_name="Ada Author")
    reader, other_reader = verified(), verified()
    unverified = members.create()
    for follower in (reader, other_reader, unverified):
        follow(api, follower, author)

    post = posts.create(author, "Spring is here. The swifts are back over the old town")

    mail = mail_server.wait_for(reader.email, template="new_post")[0]
    assert "Ada Author" in mail.subject
    assert "The swifts are back" in mail.text
    assert f"/api/v1/posts/{post['id']}" in mail.text
    assert "The swifts are back" in mail.part("text/html")
    # RFC 8058: a mail client may offer its own unsubscribe button, which POSTs to the first link.
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/api/v1/mail/unsubscribe?token=" in str(mail.message["List-Unsubscribe"])
    assert mail.link("/unsubscribe?token=")
    mail_server.wait_for(other_reader.email, template="new_post")
    # The fan-out is one statement: once any follower has their mail, the unverified one was left out.
    assert mail_server.to(unverified.email, template="new_post") == []
    assert mail_server.to(author.email, template="new_post") == []
    assert len(mail_server.to(reader.email, template="new_post")) == 1


def test_private_posts_send_no_mail_and_followers_only_posts_do(
    api: httpx.Client, members: Members, posts: Posts, mail_server: MailServer, verified: Verified
) -> None:
    author, reader = members.create(), verified()
    follow(api, reader, author)
    posts.create(author, "only for me", visibility="private")
    posts.create(author, "for my followers", visibility="followers")
    mails = mail_server.wait_for(reader.email, template="new_post")
    assert [mail for mail in mails if "for my followers" in mail.text]
    assert not [mail for mail in mails if "only for me" in mail.text]


def test_off_and_muted_authors_send_nothing(
    api: httpx.Client, members: Members, posts: Posts, mail_server: MailServer, verified: Verified
) -> None:
    author = members.create()
    witness, silenced, muting = verified(), verified(), verified()
    for follower in (witness, silenced, muting):
        follow(api, follower, author)
    set_new_posts_mail(api, silenced, "off")
    assert api.post(f"/users/{author.username}/mute", headers=muting.auth).status_code == 200

    posts.create(author, "anyone there?")

    mail_server.wait_for(witness.email, template="new_post")
    assert mail_server.to(silenced.email, template="new_post") == []
    assert mail_server.to(muting.email, template="new_post") == []


def test_the_one_click_unsubscribe_of_a_mail_stops_the_next_ones(
    api: httpx.Client, members: Members, posts: Posts, mail_server: MailServer, verified: Verified
) -> None:
    author, reader, witness = members.create(), verified(), verified()
    follow(api, reader, author)
    follow(api, witness, author)
    posts.create(author, "first")
    mail = mail_server.wait_for(reader.email, template="new_post")[0]
    one_click = str(mail.message["List-Unsubscribe"]).split(",")[0].strip(" <>")

    # What a mail client sends: no login, the RFC 8058 form body.
    with httpx.Client(timeout=10) as client:
        response = client.post(
            one_click,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200, response.text
    assert api.get("/users/me", headers=reader.auth).json()["email_new_posts"] == "off"

    posts.create(author, "second")
    mail_server.wait_for(witness.email, template="new_post", count=2)
    assert len(mail_server.to(reader.email, template="new_post")) == 1


def test_daily_followers_get_one_digest_with_the_posts_since_the_last(
    api: httpx.Client, members: Members, posts: Posts, mail_server: MailServer, verified: Verified
) -> None:
    # The tests' digest interval is a few seconds (tests/conftest.py FAST_MAIL), not a day.
    author, reader = members.create(display_name="Daily Dora"), verified()
    follow(api, reader, author)
    set_new_posts_mail(api, reader, "daily")
    posts.create(author, "morning post")
    posts.create(author, "evening post")
    deleted = posts.create(author, "a post regretted at once")
    assert api.delete(f"/posts/{deleted['id']}", headers=author.auth).status_code == 204

    digest = mail_server.wait_for(reader.email, template="digest", timeout=30)[0]
    assert "morning post" in digest.text
    assert "evening post" in digest.text
    assert "regretted" not in digest.text
    assert digest.subject.startswith("2 new posts")
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail_server.to(reader.email, template="new_post") == []
