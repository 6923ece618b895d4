"""What a running ``just up`` records about itself under ``<data dir>/run/``: its pid (``just down``
stops it) and the addresses it serves (``just seed`` and ``just bench`` fill the copy that runs, on
whatever ports it was given). Both files go when the runner stops."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec


class RunningSystem(msgspec.Struct, frozen=True):
    """A ``just up`` that runs now: its pid, its gateway's URL, the URLs it printed, and the gateway's
    database (``python -m gateway admin`` finds it here when no FLOCK_GATEWAY_DB_URL is set)."""

    pid: int
    gateway_url: str
    urls: dict[str, str]
    gateway_db_url: str = ""


def pid_file(data_dir: Path) -> Path:
    """The runner's pid, while it runs."""
    return data_dir / "run" / "devstack.pid"


def system_file(data_dir: Path) -> Path:
    """The running system's addresses, once everything is ready."""
    return data_dir / "run" / "system.json"


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive all the same
        return True
    return True


def record(data_dir: Path, system: RunningSystem) -> None:
    """Write down ``system`` for the tools that look for it."""
    path = system_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole, then renamed: a reader never sees half a file.
    partial = path.with_suffix(".partial")
    partial.write_bytes(msgspec.json.encode(system))
    partial.replace(path)


def forget(data_dir: Path) -> None:
    """Remove what :func:`record` wrote."""
    system_file(data_dir).unlink(missing_ok=True)


def running_system(data_dir: Path) -> RunningSystem | None:
    """The ``just up`` running on ``data_dir``, if one recorded itself and its process still lives."""
    try:
        found = msgspec.json.decode(system_file(data_dir).read_bytes(), type=RunningSystem)
    except (OSError, msgspec.DecodeError):
        return None
    return found if alive(found.pid) else None
