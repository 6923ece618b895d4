"""An account's role and status, and the one way a status changes.

Statuses: ``active``; ``suspended`` until ``suspended_until`` (null: until lifted); ``disabled``
(cannot log in; its sessions are revoked); ``deleted`` (by its owner). A suspension ends by itself:
every reader compares ``suspended_until`` with the clock (:func:`hidden_sql`, :meth:`State.effective`),
so no job has to run at the end, and the row may say ``suspended`` after it ended.

A change of status is one UPDATE that bumps ``status_version`` and writes an
:class:`~idl.flock.events.v1.events.AccountStatusChanged` to the gateway's outbox in the same
transaction: the posts and stats services, which hide the content of hidden accounts themselves,
learn it from the broker (their projections keep the highest version).
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from uuid_utils.compat import uuid7

from gateway.outbox import OUTBOX
from idl.flock.events.v1.events import ACCOUNTS_TOPIC, AccountStatusChanged, encode, event_type
from servicekit import outbox
from servicekit.database import Connection
from servicekit.errors import Forbidden

Role = Literal["user", "moderator", "admin"]
Status = Literal["active", "suspended", "disabled", "deleted"]
ROLES: tuple[Role, ...] = ("user", "moderator", "admin")
STAFF: frozenset[str] = frozenset({"moderator", "admin"})
STATUSES: tuple[Status, ...] = ("active", "suspended", "disabled", "deleted")


def hidden_sql(alias: str = "users") -> str:
    """SQL for "the account's profile and content are hidden from members": deleted, disabled, or
    suspended with no end or an end still ahead. ``State.hidden`` in Python."""
    return (
        f"({alias}.status IN ('disabled', 'deleted') OR ({alias}.status = 'suspended'"
        f" AND ({alias}.suspended_until IS NULL OR {alias}.suspended_until > now())))"
    )


def shown_sql(alias: str = "users") -> str:
    """The opposite of :func:`hidden_sql`."""
    return f"NOT {hidden_sql(alias)}"


def effective_status_sql(alias: str = "users") -> str:
    """The status as it stands now: a suspension whose end has passed reads ``active``."""
    return (
        f"(CASE WHEN {alias}.status = 'suspended' AND {alias}.suspended_until <= now()"
        f" THEN 'active' ELSE {alias}.status END)"
    )


class AccountSuspended(Forbidden):
    """A suspended account may log in and read, but not post, comment, like or follow."""

    code = "account_suspended"
    type_name = "account-suspended"
    title = "Account suspended"
    detail = "Your account is suspended: you can read, but not post, comment, like or follow."

    @classmethod
    def of(cls, state: State) -> AccountSuspended:
        until = state.suspended_until
        detail = (
            f"Your account is suspended until {until.isoformat().replace('+00:00', 'Z')}: until then"
            " you can read, but not"
            " post, comment, like or follow."
            if until
            else cls.detail + " The suspension has no end date."
        )
        if state.reason:
            detail += f" Reason: {state.reason}"
        return cls(
            detail,
            extensions={"suspended_until": until, "reason": state.reason},
        )


class AccountDisabled(Forbidden):
    """A disabled account cannot log in (told only to who knows its password)."""

    code = "account_disabled"
    type_name = "account-disabled"
    title = "Account disabled"
    detail = "This account has been disabled by the staff."


def now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class State:
    """What the ``users`` row says of an account's standing."""

    status: Status
    suspended_until: datetime.datetime | None
    reason: str

    def effective(self, at: datetime.datetime | None = None) -> Status:
        """The status now: a suspension that has ended reads ``active``."""
        at = at or now()
        if self.status == "suspended" and self.suspended_until is not None and self.suspended_until <= at:
            return "active"
        return self.status

    def hidden(self, at: datetime.datetime | None = None) -> bool:
        return self.effective(at) != "active"

    def as_json(self) -> dict[str, Any]:
        """For the audit log's before and after."""
        return {
            "status": self.effective(),
            "suspended_until": self.suspended_until.isoformat() if self.suspended_until else None,
        }


# Refresh tokens belong to their session: revoking it ends them too.
_REVOKE_SESSIONS = """
UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL
"""
_CHANGE = """
UPDATE users
SET status = $2, suspended_until = $3, status_reason = $4, status_changed_at = now(),
    status_changed_by = $5, status_version = status_version + 1, updated_at = now()
WHERE id = $1
RETURNING status_version
"""


async def change(
    connection: Connection,
    account_id: uuid.UUID,
    status: Status,
    *,
    until: datetime.datetime | None = None,
    reason: str = "",
    actor_id: uuid.UUID | None,
) -> None:
    """Set an account's status, and write the event that tells the other services, in the
    transaction ``connection`` is in. Disabling or deleting an account also ends all its sessions
    (and so its refresh tokens)."""
    version = await connection.fetchval(_CHANGE, account_id, status, until, reason, actor_id)
    if status in ("disabled", "deleted"):
        await connection.execute(_REVOKE_SESSIONS, account_id, f"account_{status}")
    event = AccountStatusChanged(
        event_id=uuid7(),
        occurred_at=now(),
        actor_id=actor_id,
        account_id=account_id,
        version=version,
        status=status,
        hidden=status != "active",
        hidden_until=until if status == "suspended" else None,
    )
    await outbox.write(
        connection,
        OUTBOX,
        [
            outbox.Row(
                event_id=event.event_id,
                topic=ACCOUNTS_TOPIC,
                key=str(account_id),
                event_type=event_type(event),
                payload=encode(event).decode(),
                occurred_at=event.occurred_at,
            )
        ],
    )


def state_of(row: Mapping[str, Any]) -> State:
    return State(row["status"], row["suspended_until"], row["status_reason"])
