"""The pure parts of ``just bench`` (``scripts/benchmark/load``): reading wrk's report, the tables, the
mixed workload's choices and percentiles, its HTTP client (against a stub server), the arguments, the
gateway it picks. No Flock."""

from __future__ import annotations

import asyncio
import collections
import json
import math
import random
from pathlib import Path

import pytest

from scripts.benchmark import report
from scripts.benchmark.load import __main__ as bench
from scripts.benchmark.load import client, mix, tables, wrk
from scripts.seeding import Account, SeedConfig, Seeded, make_plan

# Real reports of wrk 4.1.0 (Debian) with --latency.
MIXED = """\
Running 2s test @ http://127.0.0.1:18765
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.27ms  17.18ms   90.64%
    Req/Sec     0.99k   187.75     1.21k    67.50%
  Latency Distribution
     50%    1.82ms
     75%    2.33ms
     90%    3.07ms
     99%    7.54ms
  3929 requests in 2.01s, 1.32MB read
  Non-2xx or 3xx responses: 1936
Requests/sec:   1959.01
Transfer/sec:    671.75KB
"""
SOCKET_ERRORS = """\
Running 1s test @ http://127.0.0.1:18767/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    39.93us   16.74us 545.00us   91.00%
    Req/Sec    14.64k     1.15k   16.40k    63.64%
  Latency Distribution
     50%   38.00us
     75%   42.00us
     90%   48.00us
     99%   96.00us
  16003 requests in 1.10s, 1.13MB read
  Socket errors: connect 0, read 16003, write 0, timeout 0
  Non-2xx or 3xx responses: 16003
Requests/sec:  14546.87
Transfer/sec:      1.03MB
"""
NOTHING_ANSWERED = """\
Running 2s test @ http://127.0.0.1:18766/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     0.00      0.00     0.00      -nan%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 2.00s, 0.00B read
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [("812.00us", 0.812), ("5.10ms", 5.1), ("1.02s", 1020.0), ("1.50m", 90_000.0)],
)
def test_wrk_durations_convert_to_milliseconds(text: str, milliseconds: float) -> None:
    assert wrk.duration_ms(text) == pytest.approx(milliseconds)


def test_a_duration_without_a_unit_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a wrk duration"):
        wrk.duration_ms("12.5")


def test_report_gives_throughput_percentiles_and_non_2xx_responses() -> None:
    result = wrk.parse_wrk(MIXED)
    assert result == wrk.WrkResult(
        requests=3929, requests_per_second=1959.01, p50_ms=1.82, p99_ms=7.54, non_2xx=1936, socket_errors=0
    )
    assert not result.errors_dominate  # 1936 of 3929: just under half


def test_socket_errors_are_summed_and_microseconds_converted() -> None:
    result = wrk.parse_wrk(SOCKET_ERRORS)
    assert (result.requests, result.socket_errors, result.non_2xx) == (16003, 16003, 16003)
    assert result.p50_ms == pytest.approx(0.038)
    assert result.p99_ms == pytest.approx(0.096)
    assert result.errors_dominate


def test_a_run_without_a_single_response_counts_as_failed() -> None:
    result = wrk.parse_wrk(NOTHING_ANSWERED)
    assert (result.requests, result.requests_per_second) == (0, 0.0)
    assert result.errors_dominate


def test_a_report_without_the_latency_distribution_has_no_percentiles() -> None:
    without = "\n".join(line for line in MIXED.splitlines() if "%" not in line or "Stdev" in line)
    result = wrk.parse_wrk(without)
    assert math.isnan(result.p50_ms)
    assert math.isnan(result.p99_ms)
    assert result.requests == 3929


def test_output_that_is_not_a_wrk_report_is_rejected() -> None:
    with pytest.raises(ValueError, match="wrk's output"):
        wrk.parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused\n")


def test_table_has_one_row_per_endpoint_and_connection_count() -> None:
    rows = [
        tables.Row("GET /posts/{id}", 16, wrk.parse_wrk(MIXED)),
        tables.Row("GET /posts/{id}", 64, wrk.WrkResult(0, 0.0, math.nan, math.nan, 0, 3)),
    ]
    lines = tables.markdown_table(rows).splitlines()
    assert lines[0].startswith("| Endpoint | Connections | Requests/s | p50 ms | p99 ms |")
    assert lines[2] == "| GET /posts/{id} | 16 | 1,959 | 1.82 | 7.54 | 1936 | 0 |"
    assert lines[3] == "| GET /posts/{id} | 64 | 0 | – | – | 0 | 3 |"
    assert len(lines) == 4


def test_defaults_run_at_1_16_and_64_connections_on_the_gateway_found_at_start() -> None:
    args = bench.parse_args([])
    assert args.url is None  # found by target(): the running `just up`, else the default port
    assert (args.duration, args.connections, args.skip) == (10, [1, 16, 64], [])


def test_defaults_seed_what_just_seed_seeds_without_comments_likes_and_views() -> None:
    args = bench.parse_args([])
    assert (args.seed, args.users, args.posts, args.follows) == (1, 1000, 20_000, 30.0)
    assert (args.comments, args.likes, args.views) == (0, 0, 0)


def test_the_feed_target_defaults_to_the_issues_numbers_and_can_be_skipped() -> None:
    args = bench.parse_args([])
    assert (args.feed_authors, args.feed_posts, args.feed_depth) == (1000, 100_000, 10)
    args = bench.parse_args(["--skip", "target", "--skip", "mix", "--feed-posts", "50"])
    assert (args.skip, args.feed_posts) == (["target", "mix"], 50)


def test_the_blocks_part_defaults_to_the_issues_numbers_and_can_be_skipped() -> None:
    args = bench.parse_args([])
    assert (args.blocked, args.muted, args.blocks_authors, args.blocks_posts) == (1000, 1000, 200, 10_000)
    assert bench.parse_args(["--skip", "blocks"]).skip == ["blocks"]


def test_connection_levels_and_a_local_url_can_be_chosen() -> None:
    args = bench.parse_args(["--connections", "2,8", "--url", "http://127.0.0.1:8100/"])
    assert args.connections == [2, 8]
    assert args.url == "http://127.0.0.1:8100"


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "http://example.org:8000"],
        ["--url", "https://127.0.0.1:8000"],
        ["--url", "http://127.0.0.1:8000/api/v1"],
        ["--connections", "0,16"],
        ["--connections", "many"],
        ["--posts", "-1"],
        ["--users", "0"],
        ["--duration", "0"],
        ["--feed-authors", "5001"],
        ["--feed-depth", "1"],
        ["--blocks-authors", "5001"],
        ["--blocked", "10001"],
        ["--muted", "-1"],
        ["--mix-workers", "0"],
        ["--skip", "everything"],
    ],
)
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


# ---- the mixed workload -------------------------------------------------------------------------------


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible draws, not secrets


def test_operations_are_drawn_60_30_10() -> None:
    rng = _rng(5)
    cumulative = mix.cumulative_weights(mix.MIX)
    drawn = collections.Counter(mix.pick(rng, cumulative) for _ in range(20_000))
    assert [round(drawn[index] / 20_000, 2) for index in range(3)] == pytest.approx(
        [0.6, 0.3, 0.1], abs=0.015
    )


def test_an_operation_of_weight_zero_is_never_drawn() -> None:
    cumulative = mix.cumulative_weights([mix.Operation("a", "A", 1), mix.Operation("b", "B", 0)])
    assert {mix.pick(_rng(seed), cumulative) for seed in range(500)} == {0}


@pytest.mark.parametrize(
    ("fraction", "expected"), [(0.5, 50.0), (0.99, 99.0), (1.0, 100.0), (0.0, 1.0), (0.001, 1.0)]
)
def test_percentiles_are_nearest_rank(fraction: float, expected: float) -> None:
    assert report.percentile([float(value) for value in range(1, 101)], fraction) == expected


def test_the_percentile_of_nothing_is_not_a_number_and_of_one_value_that_value() -> None:
    assert math.isnan(report.percentile([], 0.5))
    assert report.percentile([7.5], 0.99) == 7.5


def test_mix_rows_give_each_operation_and_all_of_them_with_rates_and_percentiles() -> None:
    samples = mix.Samples([[1.0, 3.0, 2.0, 4.0], [10.0, 20.0], []], [1, 0, 0])
    rows = tables.mix_rows(mix.MIX, samples, seconds=2.0)
    assert [row.label for row in rows] == [operation.label for operation in mix.MIX] + ["all"]
    feed, wall, post, every = rows
    assert (feed.share, feed.requests, feed.errors, feed.requests_per_second) == (60.0, 4, 1, 2.0)
    assert (feed.p50_ms, feed.p99_ms) == (2.0, 4.0)
    assert (wall.p50_ms, wall.p99_ms) == (10.0, 20.0)
    assert post.requests == 0
    assert math.isnan(post.p50_ms)
    assert post.errors_dominate  # nothing answered
    assert (every.share, every.requests, every.errors, every.requests_per_second) == (100.0, 6, 1, 3.0)
    assert (every.p50_ms, every.p99_ms) == (3.0, 20.0)
    assert not every.errors_dominate


def test_the_mix_table_has_a_line_per_operation() -> None:
    samples = mix.Samples([[1.0, 3.0], [2.0], []], [0, 0, 0])
    lines = tables.mix_table(tables.mix_rows(mix.MIX, samples, seconds=1.0)).splitlines()
    assert lines[0] == "| Operation | Share | Requests | Requests/s | p50 ms | p99 ms | Errors |"
    assert lines[2] == "| GET /feed?limit=20 | 60 % | 2 | 2 | 1.00 | 3.00 | 0 |"
    assert lines[4] == "| POST /posts | 10 % | 0 | 0 | – | – | 0 |"
    assert lines[5] == "| all | 100 % | 3 | 3 | 2.00 | 3.00 | 0 |"


def _seeded(users: int = 40) -> Seeded:
    plan = make_plan(SeedConfig(users=users, posts=0, follows=5, comments=0, likes=0, views=0))
    accounts = [
        Account(user.username, "2001:db8:1::1", access_token=f"token-{user.index}") for user in plan.users
    ]
    return Seeded(plan, accounts, [])


def test_mix_requests_are_signed_in_as_random_accounts_and_well_formed() -> None:
    seeded = _seeded()
    requests = mix.MixRequests(seeded)
    rng = _rng(3)
    usernames = {account.username for account in seeded.accounts}
    tokens = set()
    for _ in range(600):
        operation, method, target, headers, body = requests.next(rng)
        tokens.add(headers["Authorization"].removeprefix("Bearer "))
        name = mix.MIX[operation].name
        if name == "feed":
            assert (method, target, body) == ("GET", "/api/v1/feed?limit=20", b"")
        elif name == "wall":
            assert method == "GET"
            assert target.removeprefix("/api/v1/users/").removesuffix("/posts?limit=20") in usernames
        else:
            assert (method, target, headers["Content-Type"]) == ("POST", "/api/v1/posts", "application/json")
            assert json.loads(body)["visibility"] == "public"
    assert len(tokens) > 30  # many different accounts


def test_walls_read_in_the_mix_are_mostly_of_accounts_followed() -> None:
    seeded = _seeded()
    plan = seeded.plan
    following = collections.defaultdict(set)
    for follower, followee in plan.follows:
        following[follower].add(plan.users[followee].username)
    requests = mix.MixRequests(seeded, [mix.Operation("wall", "wall", 1)])
    rng = _rng(4)
    followed = 0
    for _ in range(500):
        _, _, target, headers, _ = requests.next(rng)
        reader = int(headers["Authorization"].removeprefix("Bearer token-"))
        followed += target.split("/")[4] in following[reader]
    assert followed > 0.7 * 500


def test_request_lines_carry_a_token_only_for_signed_in_requests() -> None:
    account = Account("ada", "2001:db8:1::1", access_token="abc")
    assert wrk.request_lines([("/api/v1/posts/1", None), ("/api/v1/feed", account)]) == (
        "/api/v1/posts/1\n/api/v1/feed\tabc\n"
    )


def test_the_lua_script_sends_a_token_for_lines_that_have_one() -> None:
    assert 'line:match("^([^\\t]+)\\t(.+)$")' in wrk.LUA_SCRIPT
    assert '"Bearer " .. token' in wrk.LUA_SCRIPT


# ---- the mix's HTTP client ----------------------------------------------------------------------------


def _read(data: bytes) -> tuple[int, bytes, bool]:
    async def read() -> tuple[int, bytes, bool]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await client.read_response(reader)

    return asyncio.run(read())


def test_a_response_with_a_length_is_read_to_its_end() -> None:
    data = b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Other: 1\r\n\r\nhelloEXTRA"
    assert _read(data) == (201, b"hello", False)


def test_a_chunked_response_is_reassembled() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
    assert _read(data) == (200, b"hello world", False)


def test_connection_close_is_reported() -> None:
    assert _read(b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n") == (
        503,
        b"",
        True,
    )


def test_the_client_keeps_its_connection_alive_and_reopens_a_closed_one() -> None:
    async def scenario() -> tuple[list[tuple[int, bytes]], list[bytes], int]:
        seen: list[bytes] = []
        connections = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            try:
                await answer(reader, writer)
            except asyncio.IncompleteReadError:  # the client closed its connection
                pass
            finally:
                writer.close()

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    (
                        int(line[15:])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                seen.append(head.split(b"\r\n")[0] + b" " + await reader.readexactly(length))
                close = len(seen) == 2
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                    + (b"Connection: close\r\n" if close else b"")
                    + b"\r\nok"
                )
                await writer.drain()
                if close:
                    return

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        connection = client.Connection("127.0.0.1", port)
        answers = [
            await connection.request("GET", "/a", {"Authorization": "Bearer t"}),
            await connection.request("POST", "/b", {}, b'{"x":1}'),
            await connection.request("GET", "/c", {}),
        ]
        connection.close()
        await asyncio.sleep(0.05)  # the server's handlers see the end of the connection and close theirs
        server.close()
        await server.wait_closed()
        return answers, seen, connections

    answers, seen, connections = asyncio.run(scenario())
    assert answers == [(200, b"ok")] * 3
    assert seen == [b"GET /a HTTP/1.1 ", b'POST /b HTTP/1.1 {"x":1}', b"GET /c HTTP/1.1 "]
    assert connections == 2  # the first two on one connection; the server closed it after the second


def test_workloads_write_their_lines_with_the_current_tokens(tmp_path: Path) -> None:
    account = Account("ada", "2001:db8:1::1", access_token="old")
    workload = wrk.Workload("feed", tmp_path / "feed.txt", [("/api/v1/feed", account)])
    assert workload.write().read_text() == "/api/v1/feed\told\n"
    account.access_token = "new"
    assert workload.write().read_text() == "/api/v1/feed\tnew\n"
