"""``just up`` and ``just down``: start every process in order and keep them running until Ctrl-C or
SIGTERM (a process that crashes is restarted: :mod:`~scripts.devstack.supervisor`); stop a running copy
from another terminal."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from scripts.devstack.environment import runner_environment
from scripts.devstack.infrastructure import Infrastructure
from scripts.devstack.processes import gateway_url, processes, start, stop
from scripts.devstack.record import RunningSystem, alive, forget, pid_file, record
from scripts.devstack.supervisor import GaveUp, Supervisor


def up(data_dir: Path) -> int:
    """Run the whole system until a signal stops it (or a process keeps crashing); returns the exit
    code."""
    pid_path = pid_file(data_dir)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    if pid_path.exists() and alive(int(pid_path.read_text())):
        print(f"Flock is already running (pid {pid_path.read_text().strip()}); `just down` stops it.")
        return 1
    pid_path.write_text(str(os.getpid()))
    (data_dir / "logs").mkdir(exist_ok=True)
    # A plain flag: a threading.Event set from a signal handler can deadlock with the main thread's
    # own wait() on it, since both take the same non-reentrant lock.
    stop_signal: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stop_signal.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: stop_signal.append(signum))
    supervisor = Supervisor(echo=sys.stdout)
    infrastructure = Infrastructure()
    try:
        env, infrastructure = runner_environment(data_dir)
        for process in processes(env):
            # A process that fails to become ready here stops the runner at once: at start-up that is
            # a setting or the code, which a restart would only repeat.
            log_file = data_dir / "logs" / f"{process.name}.log"
            supervisor.add(process, start(process, log_file, echo=sys.stdout), log_file)
        urls = {label: url for process in processes(env) for label, url in process.urls.items()}
        record(
            data_dir,
            RunningSystem(os.getpid(), gateway_url(env), urls, gateway_db_url=env["FLOCK_GATEWAY_DB_URL"]),
        )
        print("\nFlock is up:")
        for label, url in urls.items():
            print(f"  {label:<6} {url}")
        if infrastructure.mail is not None:
            print(f"  Mail   {data_dir / 'mail'} (a Maildir; `uv run just mail` lists it)")
        print(f"  Data   {data_dir}\nCtrl-C or `just down` stops it.\n", flush=True)
        while not stop_signal:
            time.sleep(0.2)
            supervisor.check()
        return 0
    except GaveUp as error:
        print(error, flush=True)
        return 1
    except RuntimeError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 1
    finally:
        forget(data_dir)
        stop(supervisor.children())
        infrastructure.stop()
        pid_path.unlink(missing_ok=True)
        print("Flock stopped.", flush=True)


def down(data_dir: Path) -> int:
    """Stop the ``just up`` running on ``data_dir`` and wait until it has; returns the exit code."""
    pid_path = pid_file(data_dir)
    if not pid_path.exists() or not alive(pid := int(pid_path.read_text())):
        print("Flock is not running.")
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(300):
        # The runner removes its pid file once everything, PostgreSQL included, has stopped.
        if not pid_path.exists() or not alive(pid):
            print("Flock stopped.")
            return 0
        time.sleep(0.1)
    print(f"Flock (pid {pid}) did not stop within 30 s.", file=sys.stderr)
    return 1
