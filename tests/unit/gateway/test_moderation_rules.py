"""The moderation rules that need no database: suspension periods, effective status, reasons."""

from __future__ import annotations

import datetime

import pytest

from gateway.moderation.service import (
    ReasonRequired,
    Suspension,
    SuspensionInPast,
    SuspensionPeriodRequired,
    SuspensionTooLong,
    clean_reason,
    suspension_end,
)
from gateway.users.status import State, effective_status_sql, hidden_sql

NOW = datetime.datetime(2026, 12, 3, 12, tzinfo=datetime.UTC)


def test_a_suspension_needs_exactly_one_period() -> None:
    assert suspension_end(Suspension(duration=60), NOW) == NOW + datetime.timedelta(seconds=60)
    assert suspension_end(
        Suspension(until=NOW + datetime.timedelta(days=1)), NOW
    ) == NOW + datetime.timedelta(days=1)
    assert suspension_end(Suspension(permanent=True), NOW) is None
    for none_or_two in (Suspension(), Suspension(duration=60, permanent=True)):
        with pytest.raises(SuspensionPeriodRequired):
            suspension_end(none_or_two, NOW)


def test_a_suspension_ends_in_the_future_within_a_century() -> None:
    with pytest.raises(SuspensionInPast):
        suspension_end(Suspension(until=NOW), NOW)
    with pytest.raises(SuspensionInPast):
        suspension_end(Suspension(duration=0), NOW)
    with pytest.raises(SuspensionTooLong):
        suspension_end(Suspension(until=NOW + datetime.timedelta(days=365 * 101)), NOW)
    # A time without a zone is read as UTC.
    naive = (NOW + datetime.timedelta(hours=1)).replace(tzinfo=None)
    assert suspension_end(Suspension(until=naive), NOW) == NOW + datetime.timedelta(hours=1)


def test_a_suspension_reads_active_once_it_has_ended() -> None:
    until = NOW + datetime.timedelta(minutes=5)
    state = State("suspended", until, "spam")
    assert state.effective(NOW) == "suspended"
    assert state.hidden(NOW)
    assert state.effective(until) == "active"
    assert not state.hidden(until + datetime.timedelta(seconds=1))
    assert State("suspended", None, "").effective(NOW + datetime.timedelta(days=10_000)) == "suspended"
    assert State("disabled", None, "").hidden(NOW)
    assert not State("active", None, "").hidden(NOW)


def test_the_sql_says_what_the_state_says() -> None:
    assert "suspended_until > now()" in hidden_sql("u")
    assert "u.status IN ('disabled', 'deleted')" in hidden_sql("u")
    assert "suspended_until <= now()" in effective_status_sql("u")


def test_every_staff_action_needs_a_reason() -> None:
    assert clean_reason("  spam  ") == "spam"
    for missing in (None, "", "   ", "x" * 501):
        with pytest.raises(ReasonRequired):
            clean_reason(missing)
