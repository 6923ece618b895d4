"""What the mail sender does when the SMTP server is away or refuses: each mail is handed over once
when the server comes back, a temporary refusal (4xx) is retried, a permanent one (5xx) fails the
mail for good, and notification mail keeps to its per-address hourly limit. Against the real SMTP
server of the session, which these tests stop, start and instruct (and leave running)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx

from tests.conftest import RunningProcess
from tests.factories import Members, Posts, registration, verify_email
from tests.smtp import MailServer, wait_until


def outbox_rows(gateway: RunningProcess, address: str) -> list[dict[str, Any]]:
    """The gateway's mail outbox rows to ``address``, oldest first."""

    async def read() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(gateway.env["FLOCK_GATEWAY_DB_URL"])
        try:
            rows = await connection.fetch(
                "SELECT template, status, attempts, smtp_reply, last_error FROM mail_outbox"
                " WHERE address = $1 ORDER BY id",
                address,
            )
        finally:
            await connection.close()
        return [dict(row) for row in rows]

    return asyncio.run(read())


def register(api: httpx.Client) -> str:
    body = registration()
    assert api.post("/auth/register", json=body).status_code == 202
    return str(body["email"]).lower()


def test_mail_queued_while_the_server_is_down_arrives_once_when_it_is_back(
    api: httpx.Client, mail_server: MailServer, gateway: RunningProcess
) -> None:
    mail_server.stop()
    try:
        address = register(api)
        # Tried and refused a few times (the tests retry after 200 ms, doubling).
        wait_until(
            lambda: (rows := outbox_rows(gateway, address)) and rows[0]["attempts"] >= 2,
            20,
            "two attempts while the server is down",
        )
        assert outbox_rows(gateway, address)[0]["status"] in ("queued", "sending")
    finally:
        mail_server.start()
    mail_server.wait_for(address, template="verify_email", timeout=30)
    wait_until(lambda: outbox_rows(gateway, address)[0]["status"] == "sent", 10, "the mail marked sent")
    time.sleep(1)  # a second copy would come within the sender's next rounds
    assert len(mail_server.to(address)) == 1
    assert (
        outbox_rows(gateway, address)[0]["smtp_reply"] == "Message accepted for delivery"
    )  # the server's words


def test_a_temporary_refusal_is_retried_until_the_server_takes_the_mail(
    api: httpx.Client, mail_server: MailServer, gateway: RunningProcess
) -> None:
    body = registration()
    address = str(body["email"]).lower()
    mail_server.refuse(address, "451 4.3.0 Try again later")
    try:
        assert api.post("/auth/register", json=body).status_code == 202
        wait_until(
            lambda: (rows := outbox_rows(gateway, address)) and "451" in rows[0]["last_error"],
            20,
            "a refused attempt",
        )
    finally:
        mail_server.accept(address)
    mail_server.wait_for(address, template="verify_email", timeout=30)
    rows = outbox_rows(gateway, address)
    assert rows[0]["status"] == "sent"
    assert rows[0]["attempts"] >= 2


def test_a_permanent_refusal_fails_the_mail_and_it_is_not_tried_again(
    api: httpx.Client, mail_server: MailServer, gateway: RunningProcess
) -> None:
    body = registration()
    address = str(body["email"]).lower()
    mail_server.refuse(address, "550 5.1.1 No such user here")
    try:
        assert api.post("/auth/register", json=body).status_code == 202
        wait_until(
            lambda: (rows := outbox_rows(gateway, address)) and rows[0]["status"] == "failed",
            20,
            "the mail failed",
        )
    finally:
        mail_server.accept(address)
    time.sleep(1)  # several sender rounds: none takes it again
    [row] = outbox_rows(gateway, address)
    assert row["attempts"] == 1
    assert "550" in row["last_error"]
    assert mail_server.to(address) == []


def test_notification_mail_keeps_to_the_hourly_limit_per_address(
    api: httpx.Client,
    members: Members,
    posts: Posts,
    mail_server: MailServer,
    gateway: RunningProcess,
    gateway_url: str,
) -> None:
    author, reader = members.create(), members.create()
    verify_email(gateway_url, mail_server, reader)
    assert api.post(f"/users/{author.username}/follow", headers=reader.auth).status_code == 200
    limit = 20  # FLOCK_MAIL_RATE_PER_HOUR's default
    for number in range(limit + 2):
        posts.create(author, f"post number {number}")

    mail_server.wait_for(reader.email, template="new_post", count=limit)
    wait_until(
        lambda: sum(row["template"] == "new_post" for row in outbox_rows(gateway, reader.email)) == limit + 2,
        20,
        "every post's mail queued",
    )
    time.sleep(1)
    assert len(mail_server.to(reader.email, template="new_post")) == limit
    waiting = [row for row in outbox_rows(gateway, reader.email) if row["status"] == "queued"]
    assert len(waiting) == 2
    assert all(row["attempts"] == 0 for row in waiting)  # held back, not refused
