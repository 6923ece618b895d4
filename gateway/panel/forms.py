"""What the panel's forms send, read into the service layer's plain types."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import FormMultiDict

from gateway.moderation.service import Suspension
from gateway.reports.service import Action, ReportStatus
from gateway.users.status import ROLES, STATUSES, Role, Status

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
# Success messages after a redirect (?done=…): a fixed set, so a link cannot make the page say anything.
DONE = {
    "suspend": "Account suspended.",
    "unsuspend": "Suspension lifted.",
    "disable": "Account disabled.",
    "reactivate": "Account reactivated.",
    "role": "Role changed.",
    "resolve": "Report resolved.",
    "dismiss": "Report dismissed.",
}


def text(form: FormMultiDict, name: str) -> str:
    value: Any = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def suspension(form: FormMultiDict) -> Suspension:
    """A permanent suspension if ticked, else ``duration`` × ``unit`` (the service checks the period;
    a value that is not a number gives no period, which it refuses with its own message)."""
    if text(form, "permanent") == "on":
        return Suspension(permanent=True)
    amount, unit = text(form, "duration"), UNITS.get(text(form, "unit"), 86400)
    return Suspension(duration=int(amount) * unit) if amount.isdigit() else Suspension()


def role(value: str) -> Role | None:
    return next((known for known in ROLES if known == value), None)


def status(value: str) -> Status | None:
    return next((known for known in STATUSES if known == value), None)


def report_status(value: str) -> ReportStatus:
    """The queue to show: ``open`` unless another status is named."""
    return "resolved" if value == "resolved" else "dismissed" if value == "dismissed" else "open"


def report_action(value: str) -> Action | None:
    actions: tuple[Action, ...] = ("none", "delete_content", "suspend")
    return next((known for known in actions if known == value), None)
