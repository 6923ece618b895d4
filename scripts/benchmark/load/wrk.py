"""The read workloads, measured with wrk: the files of requests it picks from, its Lua script, one run,
and its ``--latency`` report parsed into a :class:`WrkResult`."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

from scripts.benchmark.errors import BenchError
from scripts.seeding import Account

WRK_INSTALL = "sudo apt-get install -y wrk  (Debian/Ubuntu; `just bench` installs it when run as root)"
# One random line per request from the file named by the first script argument: a path, or a path, a
# tab and an access token to send. Each wrk thread runs this in a Lua state of its own; setup() gives
# each a different random seed.
LUA_SCRIPT = """
local requests = {}
function setup(thread)
  threads = (threads or 0) + 1
  thread:set("seed", threads)
end
function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^([^\\t]+)\\t(.+)$")
    if path then
      requests[#requests + 1] = wrk.format(nil, path, {["Authorization"] = "Bearer " .. token})
    else
      requests[#requests + 1] = wrk.format(nil, line)
    end
  end
  math.randomseed(os.time() * 64 + seed)
end
function request()
  return requests[math.random(#requests)]
end
"""
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclasses.dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # wrk counts statuses >= 400 here
    socket_errors: int  # connect, read, write errors and timeouts

    @property
    def errors_dominate(self) -> bool:
        # Not the sum: a response followed by a closed connection counts in both.
        return self.requests == 0 or max(self.non_2xx, self.socket_errors) * 2 > self.requests


def duration_ms(text: str) -> float:
    """wrk's ``812.00us`` / ``5.10ms`` / ``1.02s`` / ``1.50m`` as milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse the report of ``wrk --latency``."""

    def find(pattern: str) -> str | None:
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else None

    def required(pattern: str) -> str:
        found = find(pattern)
        if found is None:
            raise ValueError(f"no {pattern!r} in wrk's output:\n{output}")
        return found

    def percentile_ms(percent: int) -> float:
        found = find(rf"^\s+{percent}(?:\.0+)?%\s+(\S+)")
        return math.nan if found is None else duration_ms(found)

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests=int(required(r"^\s*(\d+) requests in ")),
        requests_per_second=float(required(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=percentile_ms(50),
        p99_ms=percentile_ms(99),
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)") or 0),
        socket_errors=sum(int(count) for count in socket.groups()) if socket else 0,
    )


@dataclasses.dataclass(frozen=True)
class Workload:
    """An endpoint to measure: wrk sends random ones of ``requests`` (a path, and the account to send
    it as, if any), written to ``paths`` with the accounts' current tokens before each run."""

    label: str
    paths: Path
    requests: Sequence[tuple[str, Account | None]]

    def write(self) -> Path:
        self.paths.write_text(request_lines(self.requests))
        return self.paths


def request_lines(requests: Sequence[tuple[str, Account | None]]) -> str:
    """The lines the Lua script reads: a path, or a path, a tab and the account's access token."""
    return "".join(
        f"{path}\t{account.access_token}\n" if account else f"{path}\n" for path, account in requests
    )


async def run_wrk(url: str, paths: Path, *, connections: int, seconds: int) -> WrkResult:
    """One wrk run requesting random lines from ``paths`` (next to the Lua script)."""
    threads = min(2, connections, os.cpu_count() or 1)  # wrk shares the (2-core) machine with Flock
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    command += ["-s", str(paths.parent / "paths.lua"), url, "--", str(paths)]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = (await process.communicate())[0].decode()
    if process.returncode != 0:
        raise BenchError(f"wrk failed ({process.returncode}):\n{output}")
    return parse_wrk(output)
