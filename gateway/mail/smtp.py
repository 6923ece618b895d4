"""Handing messages to the SMTP server (aiosmtplib), with every failure sorted into the two kinds the
sender acts on: temporary (try again later: the server is down, busy, or answered 4xx) and permanent
(never retry: 5xx, the address or the message is refused)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib

from gateway.settings import GatewaySettings


class DeliveryFailed(Exception):
    """The server did not take the message. ``permanent``: retrying cannot help."""

    def __init__(self, reply: str, *, permanent: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent


class Unreachable(DeliveryFailed):
    """No conversation with the server (refused, timed out, dropped, login refused): every mail
    still waiting on that connection is retried later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=False)


def _reply(code: int, message: str) -> str:
    return f"{code} {message}".strip()


def _failure(code: int, message: str) -> DeliveryFailed:
    return DeliveryFailed(_reply(code, message), permanent=500 <= code < 600)


class SmtpConnection:
    """One open SMTP conversation: :meth:`send` messages over it one by one."""

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self._client = client

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        """Hand ``message`` over for ``recipient``; the server's reply when it accepts it."""
        try:
            _, reply = await self._client.send_message(message, sender=sender, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0]
            raise _failure(refused.code, refused.message) from None
        except aiosmtplib.SMTPResponseException as error:  # sender or data refused
            raise _failure(error.code, error.message) from None
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as error:
            raise Unreachable(f"connection lost: {error}") from None
        return reply


class Smtp:
    """The deployment's SMTP server (``FLOCK_SMTP_*``)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[SmtpConnection]:
        """A logged-in conversation with the server (:class:`Unreachable` if there is none)."""
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            timeout=settings.smtp_timeout,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as error:
            # A wrong login is the operator's to fix; the mail waits for it.
            raise Unreachable(f"login refused: {_reply(error.code, error.message)}") from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise Unreachable(f"cannot connect: {error}") from None
        try:
            yield SmtpConnection(client)
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
