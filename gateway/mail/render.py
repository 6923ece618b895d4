"""Turning a queued mail into the message handed to SMTP: a plain-text and an HTML part from the
templates in ``templates/`` (``NAME.subject.txt``, ``NAME.txt``, ``NAME.html``; the HTML escaped,
the text not), and the headers a mail client and a spam filter look for.

Notification mails (new posts, digests) carry ``List-Unsubscribe`` with both a page and the RFC 8058
one-click address, and ``List-Unsubscribe-Post``, so a mail client can offer its own button; every
mail gets a ``Message-ID`` made from its outbox id, the same on every attempt, so a server that took
a mail whose answer was lost sees the repeat as the same message.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

import jinja2

from gateway.mail.links import Links

_TEMPLATES = Path(__file__).parent / "templates"
_TEXT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=False,  # noqa: S701 - plain text: nothing there is markup
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_HTML = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


@dataclasses.dataclass(frozen=True, slots=True)
class QueuedMail:
    """A row of ``mail_outbox`` as the sender reads it."""

    id: int
    address: str
    template: str
    context: Mapping[str, Any]
    category: str
    recipient_id: uuid.UUID | None


def render(mail: QueuedMail, *, sender: str, links: Links) -> EmailMessage:
    """The message for ``mail``, from ``sender`` (a ``Name <address>`` or a bare address)."""
    context = dict(mail.context)
    message = EmailMessage()
    if mail.category == "notification" and mail.recipient_id is not None:
        page = links.unsubscribe_page(mail.recipient_id)
        context["unsubscribe_url"] = page
        message["List-Unsubscribe"] = f"<{links.unsubscribe_one_click(mail.recipient_id)}>, <{page}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"
    subject = _TEXT.get_template(f"{mail.template}.subject.txt").render(context)
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = mail.address
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(mail.id, sender)
    # Which template made it: for filters, support questions and the tests.
    message["X-Flock-Template"] = mail.template
    message.set_content(_TEXT.get_template(f"{mail.template}.txt").render(context))
    message.add_alternative(_HTML.get_template(f"{mail.template}.html").render(context), subtype="html")
    return message


def envelope_sender(sender: str) -> str:
    """The bare address of ``sender`` (the SMTP ``MAIL FROM``)."""
    return parseaddr(sender)[1] or sender


def message_id(mail_id: int, sender: str) -> str:
    """The mail's ``Message-ID``: its outbox id at the sender's domain."""
    domain = Address(addr_spec=envelope_sender(sender)).domain or "flock.invalid"
    return f"<mail.{mail_id}@{domain}>"
