"""The links mails carry, on the public base URL (``FLOCK_PUBLIC_BASE_URL``), each with its token in a
``token=`` query parameter:

- ``/verify-email?token=`` and ``/reset-password?token=``: single-use tokens from ``email_tokens``
  (:func:`new_token`; the table keeps only their SHA-256);
- ``/unsubscribe?token=`` (a page with a button) and ``/api/v1/mail/unsubscribe?token=`` (the RFC 8058
  one-click address of the ``List-Unsubscribe`` header): a stateless token, the recipient's id and
  what they unsubscribe from, signed with HMAC-SHA256 under the gateway's secret, so every mail of a
  fan-out gets its link without a row per mail, and a link works for as long as the secret does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from urllib.parse import quote

# What an unsubscribe link turns off: the mails about new posts (instant and daily alike).
NEW_POSTS = "new_posts"
_UNSUBSCRIBE_LISTS = frozenset({NEW_POSTS})


def new_token() -> tuple[str, str]:
    """A fresh single-use token (256 random bits, URL-safe) and the digest the database keeps."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """What ``email_tokens`` stores instead of the token: a leak of the table reveals no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Links:
    """Builds and checks the links of mails for one deployment."""

    def __init__(self, base_url: str, secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = hashlib.sha256(b"flock-unsubscribe\0" + secret.encode()).digest()

    def verify_email(self, token: str) -> str:
        return f"{self.base_url}/verify-email?token={quote(token)}"

    def reset_password(self, token: str) -> str:
        return f"{self.base_url}/reset-password?token={quote(token)}"

    def post(self, post_id: uuid.UUID | str) -> str:
        return f"{self.base_url}/api/v1/posts/{post_id}"

    def unsubscribe_token(self, recipient_id: uuid.UUID, what: str = NEW_POSTS) -> str:
        payload = f"{recipient_id}:{what}".encode()
        signature = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return _b64(payload) + "." + _b64(signature)

    def unsubscribe_page(self, recipient_id: uuid.UUID, what: str = NEW_POSTS) -> str:
        """The link in the mail's body: a page that asks before it unsubscribes."""
        return f"{self.base_url}/unsubscribe?token={self.unsubscribe_token(recipient_id, what)}"

    def unsubscribe_one_click(self, recipient_id: uuid.UUID, what: str = NEW_POSTS) -> str:
        """The ``List-Unsubscribe`` address: a POST to it unsubscribes (RFC 8058)."""
        return f"{self.base_url}/api/v1/mail/unsubscribe?token={self.unsubscribe_token(recipient_id, what)}"

    def unsubscribed(self, token: str) -> tuple[uuid.UUID, str] | None:
        """Whose unsubscribe token this is, and from what; None if it is not one of ours."""
        try:
            encoded_payload, encoded_signature = token.split(".")
            payload, signature = _unb64(encoded_payload), _unb64(encoded_signature)
            expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
            if not hmac.compare_digest(signature, expected):
                return None
            recipient, what = payload.decode().split(":")
            if what not in _UNSUBSCRIBE_LISTS:
                return None
            return uuid.UUID(recipient), what
        except (ValueError, UnicodeDecodeError):
            return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
