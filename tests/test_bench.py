"""The pure parts of ``scripts/bench.py``: reading wrk's report, the table, the arguments. No server."""

from __future__ import annotations

import ipaddress
import math

import pytest

from scripts import bench

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
    assert bench.duration_ms(text) == pytest.approx(milliseconds)


def test_a_duration_without_a_unit_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a wrk duration"):
        bench.duration_ms("12.5")


def test_report_gives_throughput_percentiles_and_non_2xx_responses() -> None:
    result = bench.parse_wrk(MIXED)
    assert result == bench.WrkResult(
        requests=3929, requests_per_second=1959.01, p50_ms=1.82, p99_ms=7.54, non_2xx=1936, socket_errors=0
    )
    assert not result.errors_dominate  # 1936 of 3929: just under half


def test_socket_errors_are_summed_and_microseconds_converted() -> None:
    result = bench.parse_wrk(SOCKET_ERRORS)
    assert (result.requests, result.socket_errors, result.non_2xx) == (16003, 16003, 16003)
    assert result.p50_ms == pytest.approx(0.038)
    assert result.p99_ms == pytest.approx(0.096)
    assert result.errors_dominate


def test_a_run_without_a_single_response_counts_as_failed() -> None:
    result = bench.parse_wrk(NOTHING_ANSWERED)
    assert (result.requests, result.requests_per_second) == (0, 0.0)
    assert result.errors_dominate


def test_a_report_without_the_latency_distribution_has_no_percentiles() -> None:
    without = "\n".join(line for line in MIXED.splitlines() if "%" not in line or "Stdev" in line)
    result = bench.parse_wrk(without)
    assert math.isnan(result.p50_ms)
    assert math.isnan(result.p99_ms)
    assert result.requests == 3929


def test_output_that_is_not_a_wrk_report_is_rejected() -> None:
    with pytest.raises(ValueError, match="wrk's output"):
        bench.parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused\n")


def test_table_has_one_row_per_endpoint_and_connection_count() -> None:
    rows = [
        bench.Row("GET /posts/{id}", 16, bench.parse_wrk(MIXED)),
        bench.Row("GET /posts/{id}", 64, bench.WrkResult(0, 0.0, math.nan, math.nan, 0, 3)),
    ]
    lines = bench.markdown_table(rows).splitlines()
    assert lines[0].startswith("| Endpoint | Connections | Requests/s | p50 ms | p99 ms |")
    assert lines[2] == "| GET /posts/{id} | 16 | 1,959 | 1.82 | 7.54 | 1936 | 0 |"
    assert lines[3] == "| GET /posts/{id} | 64 | 0 | – | – | 0 | 3 |"
    assert len(lines) == 4


def test_client_addresses_are_distinct_and_in_the_documentation_range() -> None:
    addresses = [bench.client_address(0xBEEF, index) for index in range(1, 100)]
    assert len(set(addresses)) == len(addresses)
    documentation = ipaddress.IPv6Network("2001:db8::/32")
    assert all(ipaddress.IPv6Address(address) in documentation for address in addresses)
    assert addresses[0] == "2001:db8:beef::2"


def test_defaults_target_the_local_gateway_at_1_16_and_64_connections() -> None:
    args = bench.parse_args([])
    assert args.url == "http://127.0.0.1:8000"
    assert (args.posts, args.duration, args.connections) == (2000, 10, [1, 16, 64])


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
        ["--posts", "0"],
        ["--duration", "0"],
    ],
)
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err
