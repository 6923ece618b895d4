"""Opaque page cursors of the gateway's own lists (the graph's, search's): base64url, unpadded, of a
msgspec value as JSON. The lists that the posts service pages carry its page tokens instead."""

from __future__ import annotations

import base64
from typing import TypeVar

import msgspec

T = TypeVar("T")


def encode(value: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).rstrip(b"=").decode()


def decode(cursor: str, decoder: msgspec.json.Decoder[T]) -> T:
    """The value in ``cursor``; :class:`ValueError` for anything that :func:`encode` could not have
    made (other characters, broken base64, JSON of another shape)."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return decoder.decode(raw)
    except (ValueError, msgspec.DecodeError) as error:  # binascii.Error and non-ASCII are ValueErrors
        raise ValueError(str(error)) from None
