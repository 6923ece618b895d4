"""The runner's restart policy on tiny real processes: a crash is restarted with backoff and said so,
a process that keeps crashing (or exits with a settings error) stops everything, and a process that
stayed up for a whole window starts again from the shortest delay."""

from __future__ import annotations

import io
import subprocess
import sys
import time

import pytest

from scripts.devstack import Process, spawn
from scripts.devstack.supervisor import GaveUp, Supervisor, exit_description
from tests.conftest import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exiting(code: int) -> Process:
    return Process(
        name="flaky",
        argv=[sys.executable, "-c", f"import sys; sys.exit({code})"],
        ready_url=f"tcp://127.0.0.1:{free_port()}",
        env={},
    )


def wait_exit(child: subprocess.Popen[str]) -> None:
    child.wait(10)


def crash_once(supervisor: Supervisor, clock: Clock) -> None:
    """Let the current child exit, note the crash, then let the backoff pass and restart it."""
    wait_exit(supervisor.children()[0][1])
    supervisor.check()  # notes the exit, schedules the restart
    clock.now += 10  # well past any delay of the backoff
    supervisor.check()  # starts it again


def test_a_crash_is_restarted_with_backoff_and_said_so() -> None:
    echo, clock = io.StringIO(), Clock()
    supervisor = Supervisor(echo, clock=clock)
    process = exiting(1)
    supervisor.add(process, spawn(process))
    first = supervisor.children()[0][1]
    crash_once(supervisor, clock)
    assert supervisor.children()[0][1] is not first  # a new child
    assert "flaky exited with 1; restarting in 0.1 s (attempt 2)" in echo.getvalue()
    wait_exit(supervisor.children()[0][1])


def test_a_process_that_keeps_crashing_stops_everything_with_a_message() -> None:
    echo, clock = io.StringIO(), Clock()
    supervisor = Supervisor(echo, clock=clock, crash_limit=5, crash_window=60)
    process = exiting(3)
    supervisor.add(process, spawn(process))
    for _ in range(4):
        crash_once(supervisor, clock)  # 4 crashes within 40 s: each restarted
        clock.now -= 9  # a crash every second or so
    wait_exit(supervisor.children()[0][1])
    with pytest.raises(GaveUp, match=r"flaky crashed 5 times within 60 s \(last: exited with 3\); stopping"):
        supervisor.check()
    printed = echo.getvalue()
    assert [f"(attempt {n})" in printed for n in (2, 3, 4, 5)] == [True] * 4
    # The delays grow: about 0.1, 0.2, 0.4, 0.8 s.
    delays = [float(line.split("restarting in ")[1].split(" s")[0]) for line in printed.splitlines()]
    assert delays == sorted(delays)
    assert delays[-1] > delays[0]


def test_a_settings_error_is_not_restarted() -> None:
    supervisor = Supervisor(io.StringIO(), clock=Clock())
    process = exiting(78)
    supervisor.add(process, spawn(process))
    wait_exit(supervisor.children()[0][1])
    with pytest.raises(GaveUp, match="flaky exited with 78: a setting is wrong"):
        supervisor.check()


def test_crashes_further_apart_than_the_window_never_give_up() -> None:
    echo, clock = io.StringIO(), Clock()
    supervisor = Supervisor(echo, clock=clock, crash_limit=2, crash_window=60)
    process = exiting(1)
    supervisor.add(process, spawn(process))
    for _ in range(4):
        crash_once(supervisor, clock)
        clock.now += 61  # each crash alone in its window
    wait_exit(supervisor.children()[0][1])
    assert "(attempt 3)" not in echo.getvalue()  # each series starts again at attempt 2


def test_a_restarted_process_is_reported_ready_again() -> None:
    echo, clock = io.StringIO(), Clock()
    port = free_port()
    serving = Process(
        name="server",
        argv=[
            sys.executable,
            "-c",
            f"import socket, time; s = socket.create_server(('127.0.0.1', {port})); time.sleep(30)",
        ],
        ready_url=f"tcp://127.0.0.1:{port}",
        env={},
    )
    supervisor = Supervisor(echo, clock=clock)
    child = spawn(serving)
    supervisor.add(serving, child)
    child.kill()
    crash_once(supervisor, clock)
    deadline = time.monotonic() + 10
    while "server is ready again" not in echo.getvalue() and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.05)
    assert "server was killed by SIGKILL; restarting in" in echo.getvalue()
    assert "server is ready again" in echo.getvalue()
    supervisor.children()[0][1].kill()
    supervisor.children()[0][1].wait()


def test_exits_are_described_by_code_or_signal() -> None:
    assert exit_description(1) == "exited with 1"
    assert exit_description(-9) == "was killed by SIGKILL"
