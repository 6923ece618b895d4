"""The pure parts of ``just bench-stats`` (``scripts/benchmark/stats``): the events it publishes,
percentiles, the table, the generation SQL's shape, the arguments. No broker, no ClickHouse."""

from __future__ import annotations

import datetime
import uuid

import pytest

from idl.flock.events.v1 import events
from scripts.benchmark import report
from scripts.benchmark.stats import __main__ as command
from scripts.benchmark.stats import events as bench_events
from scripts.benchmark.stats import generation, results
from stats import rows


def test_the_hundred_events_of_a_post_add_up_to_what_the_benchmark_waits_for() -> None:
    made = bench_events.post_events(uuid.uuid4(), uuid.uuid4(), datetime.datetime.now(datetime.UTC))
    assert len(made) == 100
    assert len({event.event_id for event in made}) == 100
    assert all(event.event_id.version == 7 for event in made)
    facts = [rows.fact(event) for event in made]
    assert all(fact is not None for fact in facts)
    likes = sum(fact.likes for fact in facts if fact is not None)
    views = sum(fact.views for fact in facts if fact is not None)
    comments = sum(fact.comments for fact in facts if fact is not None)
    viewers = {event.viewer_key for event in made if isinstance(event, events.PostViewed)}
    assert (likes, views, len(viewers), comments) == bench_events.PER_POST


def test_messages_go_to_their_topic_keyed_by_post() -> None:
    post = uuid.uuid4()
    made = bench_events.post_events(post, uuid.uuid4(), datetime.datetime.now(datetime.UTC))
    encoded = bench_events.encoded(made)
    assert {key for _, key, _ in encoded} == {str(post).encode()}
    assert {name for name, _, _ in encoded} == {events.POSTS_TOPIC, events.VIEWS_TOPIC}
    assert [events.decode(value) for _, _, value in encoded] == made


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert (report.percentile(samples, 0.5), report.percentile(samples, 0.99)) == (50.0, 99.0)
    assert report.percentile([0.2], 0.99) == 0.2
    assert report.latency([0.001, 0.002, 0.004]) == "p50 2.0 ms / p99 4.0 ms"


def test_the_report_is_a_markdown_table() -> None:
    table = results.markdown_table([results.Row("Ingest", "1 events/s", "≥ 2")])
    assert table.splitlines() == [
        "| Measurement | Result | Target |",
        "|---|---|---|",
        "| Ingest | 1 events/s | ≥ 2 |",
    ]


def test_generation_fills_every_table_the_service_reads() -> None:
    statements = generation.generation_sql(1000, datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    targets = [statement.split()[2] for statement in statements]
    assert targets == ["events", "events", "post_totals", "post_hours", "post_days", "viewers"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [([], ["ingest", "latency", "queries"]), (["--only", "queries"], ["queries"])],
)
def test_arguments_pick_the_parts(argv: list[str], expected: list[str]) -> None:
    args = command.parse_args(argv)
    assert (args.only or ["ingest", "latency", "queries"]) == expected
    assert (args.events, args.rows) == (1_000_000, 10_000_000)
