"""Every invalid field of a request body, not just the first.

msgspec stops at the first error it meets. When a body fails, the gateway checks each top-level field
of the expected Struct on its own, so that one response lists everything the client must fix.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import msgspec

# msgspec's messages end in " - at `$.field[0].name`".
_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)


def split_message(message: str) -> tuple[str, str]:
    """``("Expected `int`", "items[0].count")`` from msgspec's one-line message."""
    match = _AT_PATH.match(message)
    if match is None:  # cannot happen: the pattern matches any string
        return message, ""
    return match.group("message"), match.group("path") or ""


def _friendlier(message: str, annotation: Any) -> str:
    # "Expected `str` matching regex '^[A-Za-z0-9_]{3,30}$'" helps nobody; the field's description does.
    if "matching regex" not in message:
        return message
    for candidate in [annotation, *typing.get_args(annotation)]:
        for meta in typing.get_args(candidate)[1:]:
            if isinstance(meta, msgspec.Meta) and meta.description:
                return f"Invalid format: {meta.description}"
    return "Invalid format"


def body_field_errors(kind: Any, body: bytes) -> list[tuple[str, str]]:
    """``(field, message)`` for every top-level problem of ``body`` decoded as Struct ``kind``.
    Empty when ``body`` is not a JSON object or ``kind`` not a Struct: the caller keeps msgspec's."""
    if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)):
        return []
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return []
    if not isinstance(raw, dict):
        return []
    errors: list[tuple[str, str]] = []
    fields = {field.encode_name: field for field in msgspec.structs.fields(kind)}
    for name, field in fields.items():
        if name not in raw:
            if field.required:
                errors.append((name, "This field is required"))
            continue
        try:
            # Round-trip through JSON so that each field is judged exactly as the whole body was.
            msgspec.json.decode(msgspec.json.encode(raw[name]), type=field.type)
        except msgspec.ValidationError as error:
            message, path = split_message(str(error))
            where = f"{name}.{path}" if path and not path.startswith("[") else f"{name}{path}"
            errors.append((where, _friendlier(message, field.type)))
    if kind.__struct_config__.forbid_unknown_fields:
        errors += [(name, "Unknown field") for name in raw if name not in fields]
    return errors


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or any ``application/*+json``, parameters ignored."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
