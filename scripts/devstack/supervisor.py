"""Keeping the local processes running: a process that exits is started again after a backoff, and the
runner gives up only on a process that keeps crashing.

The policy, per process: each exit is a crash; the restart waits :class:`servicekit.backoff.Backoff`'s
next delay (0.05–0.1 s after a first crash, doubling up to 5 s), and a process that has not crashed for
:data:`CRASH_WINDOW` seconds starts again from the shortest delay. :data:`CRASH_LIMIT` crashes within
:data:`CRASH_WINDOW` seconds, or an exit with code 78 (a setting is wrong: starting again would fail
the same way), stop everything. A restart runs the process only, not its set-up steps (migrations):
those ran when the runner started. Every restart, and the process's readiness after it, is printed.
"""

from __future__ import annotations

import collections
import dataclasses
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from scripts.devstack.processes import Process, is_ready, spawn
from servicekit.backoff import Backoff
from servicekit.cli import EX_CONFIG

CRASH_LIMIT = 5
CRASH_WINDOW = 60.0


class GaveUp(RuntimeError):
    """A process keeps crashing (or cannot start with its settings): the runner stops everything."""


def exit_description(returncode: int) -> str:
    """``exited with 1``, or ``was killed by SIGKILL`` for a process a signal ended."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with {returncode}"


@dataclasses.dataclass
class _Supervised:
    process: Process
    child: subprocess.Popen[str]
    log_file: Path | None
    crashes: collections.deque[float] = dataclasses.field(default_factory=collections.deque)
    backoff: Backoff = dataclasses.field(default_factory=Backoff)
    # While it is down: when it is started again.
    restart_at: float | None = None
    ready: bool = True


class Supervisor:
    """The runner's processes, in start order; :meth:`check` restarts those that exited."""

    def __init__(
        self,
        echo: IO[str],
        *,
        crash_limit: int = CRASH_LIMIT,
        crash_window: float = CRASH_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._echo = echo
        self._limit = crash_limit
        self._window = crash_window
        self._clock = clock
        self._processes: list[_Supervised] = []

    def add(self, process: Process, child: subprocess.Popen[str], log_file: Path | None = None) -> None:
        """Watch ``child``, a started and ready ``process`` whose output goes to ``log_file``."""
        self._processes.append(_Supervised(process, child, log_file))

    def children(self) -> list[tuple[Process, subprocess.Popen[str]]]:
        """Every process's current child, in start order (as :func:`~scripts.devstack.stop` takes them)."""
        return [(watched.process, watched.child) for watched in self._processes]

    def check(self) -> None:
        """One round: note exits and schedule restarts, start what is due, report readiness regained;
        raises :class:`GaveUp` when a process keeps crashing."""
        for watched in self._processes:
            now = self._clock()
            if watched.restart_at is not None:
                if now >= watched.restart_at:
                    watched.child = spawn(watched.process, watched.log_file, self._echo)
                    watched.restart_at, watched.ready = None, False
                continue
            returncode = watched.child.poll()
            if returncode is not None:
                self._crashed(watched, returncode, now)
            elif not watched.ready and is_ready(watched.process.ready_url):
                watched.ready = True
                self._say(f"{watched.process.name} is ready again")

    def _crashed(self, watched: _Supervised, returncode: int, now: float) -> None:
        name, what = watched.process.name, exit_description(returncode)
        while watched.crashes and watched.crashes[0] < now - self._window:
            watched.crashes.popleft()
        if not watched.crashes:
            watched.backoff.reset()  # calm for a whole window: a new series starts from the shortest delay
        watched.crashes.append(now)
        where = f" (its log: {watched.log_file})" if watched.log_file else ""
        if returncode == EX_CONFIG:
            raise GaveUp(f"{name} {what}: a setting is wrong (see its output); stopping everything{where}.")
        if len(watched.crashes) >= self._limit:
            raise GaveUp(
                f"{name} crashed {len(watched.crashes)} times within {self._window:.0f} s (last: {what});"
                f" stopping everything{where}."
            )
        delay = watched.backoff.next()
        watched.restart_at = now + delay
        self._say(f"{name} {what}; restarting in {delay:.1f} s (attempt {len(watched.crashes) + 1})")

    def _say(self, line: str) -> None:
        print(line, file=self._echo, flush=True)
