"""The pure parts: how a batch is sorted out before anything is written (stats.ingest.plan,
stats.rows), and how a ranking's period maps to the counter tables. No broker, no ClickHouse."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

from idl.flock.events.v1 import events
from stats import rows
from stats.domain import Period
from stats.ingest import plan
from stats.queries import Window
from stats.rows import Mark, Partition, Record
from tests.system.stats.factories import Account, Post

P0: Partition = (events.POSTS_TOPIC, 0)
P1: Partition = (events.POSTS_TOPIC, 1)
TABLES = [table.name for table in rows.COUNTER_TABLES]


@dataclasses.dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    value: bytes | None


def record(event: events.Event, offset: int, source: Partition = P0) -> Record:
    return Record(source[0], source[1], offset, event, rows.fact(event))


def marks(**by_table: dict[Partition, Mark]) -> dict[str, dict[Partition, Mark]]:
    return {name: dict(by_table.get(name, {})) for name in TABLES}


def same_marks(mark: dict[Partition, Mark]) -> dict[str, dict[Partition, Mark]]:
    return {name: dict(mark) for name in TABLES}


def test_new_records_count_everywhere_and_move_every_mark_to_the_batch_end() -> None:
    post = Post()
    batch = [
        record(post.liked(uuid.uuid4()), 10),
        record(post.viewed("v"), 11),
        record(post.created(), 5, P1),
    ]
    decided = plan(batch, {}, marks(), {P0: 11, P1: 5})
    assert decided.new == batch
    assert decided.counted == dict.fromkeys(TABLES, batch)
    assert decided.marks == {P0: (0, 11), P1: (0, 5)}
    assert (decided.again, decided.copies, decided.restarts) == ([], 0, {})


def test_a_second_copy_of_an_event_is_dropped_whether_seen_before_or_in_the_same_batch() -> None:
    post = Post()
    liked, viewed = post.liked(uuid.uuid4()), post.viewed("v")
    batch = [record(liked, 20), record(viewed, 21), record(viewed, 22)]
    decided = plan(batch, {liked.event_id: (events.POSTS_TOPIC, 0, 3)}, marks(), {P0: 22})
    assert decided.new == [batch[1]]
    assert decided.copies == 2


def test_a_redelivered_record_counts_only_where_its_table_had_not_counted_it() -> None:
    post = Post()
    batch = [
        record(post.liked(uuid.uuid4()), 7),
        record(post.liked(uuid.uuid4()), 8),
        record(post.created(), 9),
    ]
    found = {item.event.event_id: item.where for item in batch[:2]}  # both were written to events
    # post_totals counted up to 7, post_hours up to 8, post_days nothing yet (a crash between them)
    decided = plan(batch, found, marks(post_totals={P0: (0, 7)}, post_hours={P0: (0, 8)}), {P0: 9})
    assert decided.new == [batch[2]]
    assert decided.again == batch[:2]
    assert decided.counted == {
        "post_totals": [batch[2], batch[1]],
        "post_hours": [batch[2]],
        "post_days": [batch[2], batch[0], batch[1]],
    }
    assert decided.marks == {P0: (0, 9)}


def test_offsets_below_the_marks_for_events_never_seen_mean_the_topic_was_made_anew() -> None:
    post = Post()
    batch = [record(post.liked(uuid.uuid4()), 0), record(post.viewed("v"), 1)]
    old = marks(post_totals={P0: (0, 500)}, post_hours={P0: (0, 480)}, post_days={P0: (0, 500)})
    decided = plan(batch, {}, old, {P0: 1})
    assert decided.restarts == {P0: (1, -1)}
    assert decided.marks == {P0: (1, 1)}
    assert decided.counted == dict.fromkeys(TABLES, batch)


def test_after_a_restart_redeliveries_compare_with_the_new_epoch() -> None:
    post = Post()
    batch = [record(post.liked(uuid.uuid4()), 3), record(post.liked(uuid.uuid4()), 4)]
    found = {batch[0].event.event_id: batch[0].where}
    decided = plan(batch, found, same_marks({P0: (1, 3)}), {P0: 4})
    assert decided.restarts == {}
    later = [batch[1]]
    assert decided.counted == dict.fromkeys(TABLES, later)
    assert decided.marks == {P0: (1, 4)}


def test_messages_that_are_not_events_are_left_out() -> None:
    good = Post().viewed("v")
    messages = [
        Message(events.VIEWS_TOPIC, 0, 1, b"{"),
        Message(events.VIEWS_TOPIC, 0, 2, None),
        Message(events.VIEWS_TOPIC, 0, 3, b'{"type": "post_viewed"}'),
        Message(events.VIEWS_TOPIC, 0, 4, events.encode(good)),
    ]
    assert rows.decode(messages) == [Record(events.VIEWS_TOPIC, 0, 4, good, rows.fact(good))]


def test_an_account_status_counts_nowhere_and_becomes_an_account_states_row() -> None:
    account = Account()
    change = account.suspended(until=datetime.datetime(2026, 3, 10, tzinfo=datetime.UTC))
    (decoded,) = rows.decode([Message(events.ACCOUNTS_TOPIC, 0, 7, events.encode(change))])
    assert decoded == Record(events.ACCOUNTS_TOPIC, 0, 7, change, None)
    # In `events` under the account, so a copy or a redelivery is found like any event's.
    events_row = dict(
        zip(rows.EVENT_COLUMNS, next(zip(*rows.event_columns([decoded]), strict=True)), strict=True)
    )
    assert (events_row["post_id"], events_row["author_id"]) == (rows.NO_POST, account.id)
    assert [rows.counter_columns(table, [decoded], {}) for table in rows.COUNTER_TABLES] == [[]] * 3
    assert list(zip(*rows.account_columns([decoded]), strict=True)) == [
        (account.id, 1, "suspended", True, change.hidden_until, change.event_id, change.occurred_at)
    ]


def test_an_account_status_read_again_is_written_again() -> None:
    # Its table may have missed it (a crash after `events`); writing it twice changes nothing there.
    change = record(Account().suspended(), 3, (events.ACCOUNTS_TOPIC, 0))
    decided = plan([change], {change.event.event_id: change.where}, marks(), {change.source: 3})
    assert (decided.new, decided.again, decided.copies) == ([], [change], 0)


def test_an_account_status_with_a_version_out_of_range_is_left_out() -> None:
    account = Account()
    too_big = Message(events.ACCOUNTS_TOPIC, 0, 1, events.encode(account.suspended(version=2**63)))
    assert rows.decode([too_big]) == []


def test_counter_rows_sum_per_key_and_carry_the_marks() -> None:
    post, fan = Post(), uuid.uuid4()
    batch = [
        record(post.liked(fan), 1),
        record(post.unliked(fan), 2),
        record(post.liked(fan), 3),
        record(post.viewed("a"), 4),
        record(post.deleted(), 5),
    ]
    totals = rows.COUNTER_TABLES[0]
    columns = rows.counter_columns(totals, batch, {P0: (0, 5)})
    assert list(zip(*columns, strict=True)) == [
        (post.id, post.author, 1, 1, 0, 1, (0, -1)),
        (rows.mark_id(P0), rows.NO_AUTHOR, 0, 0, 0, 0, (0, 5)),
    ]


def test_viewers_are_a_set_per_post_and_day() -> None:
    post = Post()
    batch = [record(post.viewed("a"), 1), record(post.viewed("a"), 2), record(post.viewed("b"), 3)]
    columns = rows.viewer_columns(batch)
    assert sorted(columns[2]) == ["a", "b"]
    assert set(columns[0]) == {post.id}


def test_a_ranking_window_takes_its_partial_first_day_by_hour_and_the_rest_by_day() -> None:
    now = datetime.datetime(2026, 3, 10, 15, 42, tzinfo=datetime.UTC)
    day = Window.of(Period.DAY, now)
    assert (day.since, day.until, day.first_day) == (
        datetime.datetime(2026, 3, 9, 15, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 10, tzinfo=datetime.UTC),
        datetime.date(2026, 3, 10),
    )
    week = Window.of(Period.WEEK, datetime.datetime(2026, 3, 10, 0, 5, tzinfo=datetime.UTC))
    assert (week.since, week.until, week.first_day) == (
        datetime.datetime(2026, 3, 3, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 3, tzinfo=datetime.UTC),  # no partial day: no hours
        datetime.date(2026, 3, 3),
    )
