"""Opaque page cursors: base64url, unpadded, of a msgspec value as JSON. Every list of every service
encodes its cursors (page tokens) with this one codec; what goes inside is the list's own business.

A cursor handed to clients is bound to its list (:func:`encode_for`, :func:`decode_for`): it carries
the list's identity (``wall:<author id>``, ``followers:<owner id>``…), so a cursor of one list, or of
another owner's list, is refused rather than silently paging something else."""

from __future__ import annotations

import base64
import hashlib
from typing import TypeVar

import msgspec

from servicekit.errors import Malformed

T = TypeVar("T")


def encode(value: object) -> str:
    """The cursor holding ``value`` (anything msgspec encodes)."""
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).rstrip(b"=").decode()


def decode(cursor: str, decoder: msgspec.json.Decoder[T]) -> T:
    """The value in ``cursor``; :class:`ValueError` for anything that :func:`encode` could not have
    made (other characters, broken base64, JSON of another shape)."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return decoder.decode(raw)
    except (ValueError, msgspec.DecodeError) as error:  # binascii.Error and non-ASCII are ValueErrors
        raise ValueError(str(error)) from None


class InvalidCursor(Malformed):
    """A cursor that no page of this list gave out (forged, cut, or from another list)."""

    code = "invalid_cursor"
    title = "The cursor is not one this API gave out"
    detail = "Use a cursor from a previous page, unchanged."


# Longer than any cursor of ours; a longer one is refused before decoding.
MAX_LENGTH = 1024


class _Bound(msgspec.Struct, array_like=True, frozen=True):
    list: str
    key: msgspec.Raw


_BOUND = msgspec.json.Decoder(_Bound)


def list_id(*parts: object) -> str:
    """A list's identity from what names it; long parts (a search query) are hashed to keep cursors
    short."""
    return ":".join(
        text if len(text) <= 40 else hashlib.sha256(text.encode()).hexdigest()[:16]
        for text in map(str, parts)
    )


def encode_for(list_name: str, key: object) -> str:
    """A cursor of the list ``list_name`` that resumes at ``key``."""
    return encode(_Bound(list_name, msgspec.Raw(msgspec.json.encode(key))))


def decode_for(list_name: str, cursor: str, key_type: type[T], detail: str | None = None) -> T:
    """The key in ``cursor``; :class:`InvalidCursor` (with ``detail``) unless a page of ``list_name``
    gave it out."""
    try:
        if len(cursor) > MAX_LENGTH:
            raise ValueError("too long")
        bound = decode(cursor, _BOUND)
        if bound.list != list_name:
            raise ValueError("another list's cursor")
        return msgspec.json.decode(bound.key, type=key_type)
    except (ValueError, msgspec.DecodeError):
        raise InvalidCursor(detail) from None
