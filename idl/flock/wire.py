"""The parts of the wire contract that .proto files cannot say, shared by every client and server.

- Errors: a failed call's trailing metadata carries :data:`REASON_METADATA`, a stable code for what
  went wrong (``post_not_found``), and for a bad request field :data:`FIELD_METADATA`, its name.
- Ids: UUIDs in their canonical text form only (36 characters, ``8-4-4-4-12`` hex digits).
- Limits both sides must agree on.
"""

from __future__ import annotations

import uuid

FIELD_METADATA = "flock-field"  # which request field an INVALID_ARGUMENT is about
REASON_METADATA = "flock-reason"  # a stable code for what went wrong
REQUEST_ID_METADATA = "x-request-id"  # the gateway's request id, for logs on both sides

# Reason codes the services send, which clients may act on.
POST_NOT_FOUND = "post_not_found"
POST_REMOVED = "post_removed"  # removed by a moderator: told to its author only
COMMENT_NOT_FOUND = "comment_not_found"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
INVALID_ARGUMENT = "invalid_argument"
UNAUTHENTICATED = "unauthenticated"
FORBIDDEN = "forbidden"

# Follows and pending requests per account (the gateway's limit); so also the most ids a caller's
# ``following`` list may carry to the posts service.
MAX_FOLLOWING = 5000

_CANONICAL_ID_LENGTH = 36


def parse_id(value: str) -> uuid.UUID:
    """The id written as ``value``; :class:`ValueError` unless it is in canonical form (``uuid.UUID``
    alone also takes braces, URNs and bare hex: ids have one spelling on the wire)."""
    if len(value) != _CANONICAL_ID_LENGTH:
        raise ValueError(f"not a canonical id: {value!r}")
    return uuid.UUID(value)
