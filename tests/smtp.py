"""A real SMTP server for the tests (aiosmtpd, in a thread of the test process): it keeps what it
accepts in memory, can be stopped and started again on the same port (mail must wait and then
arrive once), and can be told to refuse recipients with a reply of the test's choosing (550: the
mail fails for good; 451: it is retried)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclasses.dataclass(frozen=True)
class Received:
    """One mail as the server accepted it: its envelope and its parsed message."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        """The body part of ``content_type`` (``text/plain`` or ``text/html``), decoded."""
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        if body is None or body.get_content_type() != content_type:
            raise AssertionError(f"the mail has no {content_type} part")
        return str(body.get_content())

    @property
    def text(self) -> str:
        return self.part("text/plain")

    def links(self, containing: str = "") -> list[str]:
        """The links of the plain-text body that contain ``containing``."""
        return [link for link in _LINK.findall(self.text) if containing in link]

    def link(self, containing: str) -> str:
        found = self.links(containing)
        assert found, f"no link with {containing!r} in:\n{self.text}"
        return found[0]

    def token(self, containing: str) -> str:
        """The ``token=`` parameter of the first link that contains ``containing``."""
        return self.link(containing).split("token=", 1)[1]


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self._server = server

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self._server.reply_for(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode()
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._server.keep(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class MailServer:
    """An SMTP server on 127.0.0.1:``port``; what it received is in :attr:`received`."""

    def __init__(self, port: int) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._replies: dict[str, str] = {}
        self._controller: Controller | None = None

    def start(self) -> None:
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, decode_data=False)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: mail handed over meanwhile waits in the outbox, to be retried."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def refuse(self, address: str, reply: str) -> None:
        """Answer RCPT TO ``address`` with ``reply`` (e.g. ``"550 5.1.1 No such user"``)."""
        with self._lock:
            self._replies[address.lower()] = reply

    def accept(self, address: str) -> None:
        with self._lock:
            self._replies.pop(address.lower(), None)

    def reply_for(self, address: str) -> str | None:
        with self._lock:
            return self._replies.get(address.lower())

    def keep(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def to(self, address: str, *, template: str | None = None) -> list[Received]:
        """What was delivered to ``address`` (of one ``template``, from the ``X-Flock-Template``
        header, when given)."""
        wanted = address.lower()
        return [
            mail
            for mail in self.received
            if wanted in (recipient.lower() for recipient in mail.recipients)
            and (template is None or mail.message["X-Flock-Template"] == template)
        ]

    def wait_for(
        self, address: str, *, template: str | None = None, count: int = 1, timeout: float = 20.0
    ) -> list[Received]:
        """Wait until ``count`` mails (of ``template``) reached ``address``; all of them."""
        found: list[Received] = wait_until(
            lambda: found if len(found := self.to(address, template=template)) >= count else None,
            timeout,
            f"{count} mail(s) to {address} ({template or 'any template'})",
        )
        return found


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy; that, or AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
