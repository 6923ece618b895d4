"""Writing a batch of Kafka records into ClickHouse so that every event counts exactly once.

Delivery is at least once: after a crash the records since the last committed offset come again, and
publishers retry (the outbox relay, the gateway's buffered producer), so one event can also arrive
twice at two offsets. A batch is written like this, and only then are its offsets committed:

1. **Decode** (:func:`stats.rows.decode`); a message that is not an event is logged and skipped (it
   never blocks a partition).
2. **Drop copies.** Keep the first record of each ``event_id`` in the batch, then look the ids up in
   ``events`` (ordered by ``event_id``, a UUIDv7, so the lookup reads the newest granules). An id found
   there at *another* offset is a second copy: dropped. One found at *this very* offset is the same
   record again (a redelivery): it was written before, perhaps not into every table.
3. **Write ``events``**: the records not found. One INSERT, so one part: all or nothing.
4. **Write each counter table** (``post_totals``, ``post_hours``, ``post_days``): one INSERT each, which
   holds the rows the records add *and* a ``mark`` row per partition of the batch saying "this table has
   counted that partition up to offset N". A table counts a record unless it is a redelivery at or below
   the table's mark; the counts and the mark land in the same part, so they can never disagree.
5. **Write ``viewers``**, a set (post, day, viewer): writing a view again changes nothing.
6. **Write ``account_states``**, a row per account status change, new or redelivered: the table keeps
   each account's highest ``version``, so writing a change again, or an older one after a newer,
   changes nothing.

So whatever point a crash (or a failed INSERT) interrupts, the next attempt, which reads the same
records again, writes exactly what is missing: no event lost, none counted twice. ClickHouse has no
transaction across tables; the marks make each table's INSERT idempotent on its own, and being in the
same part as the counts they need nothing from the engine beyond an INSERT being atomic.

Offsets restart at 0 when a topic is made anew (the local broker keeps nothing across restarts, while
ClickHouse does). A record that is not in ``events`` but sits at or below a mark shows it: the marks of
that partition move to a new epoch, ``(epoch + 1, first offset - 1)``, before anything else is written.

Counts read only what this leaves: sums of the counter tables, distinct viewers. Two consumers can
count one record twice only if a partition moves from one to the other while the first is still
writing it (a rebalance in the middle of a batch); ``events`` (a ReplacingMergeTree) still holds it once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from stats import rows
from stats.clickhouse import ClickHouse, Connection
from stats.rows import NO_MARK, Coordinates, Mark, Partition, Record


@dataclasses.dataclass
class Plan:
    """What writing one batch takes: the new records, and per counter table what it must count."""

    new: list[Record] = dataclasses.field(default_factory=list)
    again: list[Record] = dataclasses.field(default_factory=list)  # redelivered records
    copies: int = 0
    # Partitions whose offsets restarted: the marks every table gets before anything is written.
    restarts: dict[Partition, Mark] = dataclasses.field(default_factory=dict)
    counted: dict[str, list[Record]] = dataclasses.field(default_factory=dict)
    marks: dict[Partition, Mark] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Written:
    """What a batch did: events written new, records read again, copies of events dropped."""

    new: int
    again: int
    copies: int


def plan(
    records: Sequence[Record],
    found: dict[uuid.UUID, Coordinates],
    table_marks: dict[str, dict[Partition, Mark]],
    last_offsets: dict[Partition, int],
) -> Plan:
    """Decide what to write for ``records``, given where their ids were found in ``events`` and the
    counter tables' marks; ``last_offsets`` are the batch's highest offset per partition."""
    result = _sort(records, found)
    epochs = {
        source: max(marks.get(source, NO_MARK)[0] for marks in table_marks.values())
        for source in last_offsets
    }
    result.restarts = _restarts(result.new, table_marks, epochs)
    for source, restart in result.restarts.items():
        epochs[source] = restart[0]
        for marks in table_marks.values():
            marks[source] = restart
    result.marks = {source: (epochs[source], offset) for source, offset in last_offsets.items()}
    for table in rows.COUNTER_TABLES:
        marks = table_marks[table.name]
        result.counted[table.name] = result.new + [
            record
            for record in result.again
            if (epochs[record.source], record.offset) > marks.get(record.source, NO_MARK)
        ]
    return result


def _sort(records: Sequence[Record], found: dict[uuid.UUID, Coordinates]) -> Plan:
    """Sort records into new ones, redeliveries and copies (a second record of one event)."""
    result = Plan()
    seen: set[uuid.UUID] = set()
    for record in records:
        where = found.get(record.event.event_id)
        if record.event.event_id in seen or (where is not None and where != record.where):
            result.copies += 1
        elif where is None:
            result.new.append(record)
        else:
            result.again.append(record)
        seen.add(record.event.event_id)
    return result


def _restarts(
    new: list[Record], table_marks: dict[str, dict[Partition, Mark]], epochs: dict[Partition, int]
) -> dict[Partition, Mark]:
    """The partitions whose offsets restarted, with their marks in a new epoch: a record that is not in
    ``events`` at or below a table's mark can only come from a topic made anew."""
    first: dict[Partition, int] = {}
    for record in new:
        first[record.source] = min(first.get(record.source, record.offset), record.offset)
    return {
        source: (epochs[source] + 1, offset - 1)
        for source, offset in first.items()
        if any(marks.get(source, NO_MARK) >= (epochs[source], offset) for marks in table_marks.values())
    }


def _lookup(connection: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, Coordinates]:
    """Where each of ``ids`` already in ``events`` was read. The ids travel as an insert into a
    temporary table (binary, quick) rather than as a query parameter (text, slow to build and parse)."""
    if not ids:
        return {}
    connection.command("CREATE TEMPORARY TABLE IF NOT EXISTS batch_ids (event_id UUID) ENGINE = Memory")
    connection.command("TRUNCATE TABLE batch_ids")
    connection.insert("batch_ids", ["event_id"], [ids])
    found = connection.rows(
        "SELECT event_id, kafka_topic, kafka_partition, kafka_offset FROM events WHERE event_id IN batch_ids"
    )
    return {row[0]: (str(row[1]), int(row[2]), int(row[3])) for row in found}


def _marks(connection: Connection, sources: list[Partition]) -> dict[str, dict[Partition, Mark]]:
    """Each counter table's mark of each of ``sources`` (partitions without one are left out)."""
    by_id = {rows.mark_id(source): source for source in sources}
    found = connection.rows(
        " UNION ALL ".join(
            f"SELECT '{table.name}', post_id, max(mark) FROM {table.name}"  # noqa: S608 - our own names
            f" WHERE {table.mark_filter} AND post_id IN {{ids:Array(UUID)}} GROUP BY post_id"
            for table in rows.COUNTER_TABLES
        ),
        {"ids": list(by_id)},
    )
    marks: dict[str, dict[Partition, Mark]] = {table.name: {} for table in rows.COUNTER_TABLES}
    for table, mark_id, (epoch, offset) in found:
        marks[table][by_id[mark_id]] = (int(epoch), int(offset))
    return marks


class Ingest:
    """Writes batches of records into ClickHouse (see the module's docstring)."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        # A session of its own, for the temporary table of the lookup.
        self.clickhouse = clickhouse.session()

    async def close(self) -> None:
        await self.clickhouse.close()

    async def write(self, records: Sequence[Record], last_offsets: dict[Partition, int]) -> Written:
        """Write one batch (its decoded records, and the highest offset read of each partition, events
        or not); when it returns, every event of the batch is counted, exactly once."""
        ids = list(dict.fromkeys(record.event.event_id for record in records))
        found, table_marks = await self.clickhouse.call(
            lambda connection: (_lookup(connection, ids), _marks(connection, list(last_offsets)))
        )
        decided = await asyncio.to_thread(plan, records, found, table_marks, last_offsets)
        await self._apply(decided)
        return Written(len(decided.new), len(decided.again), decided.copies)

    async def _apply(self, decided: Plan) -> None:
        for table in rows.COUNTER_TABLES if decided.restarts else ():
            await self._insert(table.name, table.columns, rows.counter_columns(table, (), decided.restarts))
        # The counters' rows are made while `events` is written (ClickHouse works outside the GIL).
        counters = asyncio.ensure_future(asyncio.to_thread(_counter_columns, decided))
        try:
            if decided.new:
                columns = await asyncio.to_thread(rows.event_columns, decided.new)
                await self._insert("events", rows.EVENT_COLUMNS, columns)
        finally:
            made = await counters
        for table in rows.COUNTER_TABLES:
            if table.name in made:
                await self._insert(table.name, table.columns, made[table.name])
        if made["viewers"][0]:
            await self._insert("viewers", rows.VIEWER_COLUMNS, made["viewers"])
        if made["account_states"][0]:
            await self._insert("account_states", rows.ACCOUNT_COLUMNS, made["account_states"])

    async def _insert(self, table: str, columns: Sequence[str], data: list[list[Any]]) -> None:
        await self.clickhouse.call(lambda connection: connection.insert(table, columns, data))


def _counter_columns(decided: Plan) -> dict[str, list[list[Any]]]:
    """The columns of each counter table with something to count (the others' marks may stay behind,
    harmlessly: no record they skip would have counted there), of ``viewers`` and of
    ``account_states``."""
    made = {
        table.name: rows.counter_columns(table, decided.counted[table.name], decided.marks)
        for table in rows.COUNTER_TABLES
        if any(
            record.fact is not None and table.key(record.fact) is not None
            for record in decided.counted[table.name]
        )
    }
    made["viewers"] = rows.viewer_columns(decided.new + decided.again)
    made["account_states"] = rows.account_columns(decided.new + decided.again)
    return made
