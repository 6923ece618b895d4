"""The system's long-running processes, as the runner and the tests start them: their definitions, and
running, probing and stopping them."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from scripts.devstack.paths import PYTHON, ROOT


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


def gateway_url(env: Mapping[str, str]) -> str:
    """The gateway's base URL, ``http://host:port``, from the runner's variables."""
    return f"http://{env['FLOCK_GATEWAY_HOST']}:{env['FLOCK_GATEWAY_PORT']}"


def processes(env: Mapping[str, str]) -> list[Process]:
    """Every process of the system, in start order, configured from ``env`` (the runner's ``FLOCK_*``
    variables)."""
    gateway = gateway_url(env)
    return [
        # `stats setup` creates the broker's topics and the ClickHouse tables, if missing.
        _service("stats", env, f"grpc://{env['FLOCK_STATS_HOST']}:{env['FLOCK_STATS_PORT']}", "setup"),
        _service("posts", env, f"grpc://{env['FLOCK_POSTS_HOST']}:{env['FLOCK_POSTS_PORT']}", "migrate"),
        _service(
            "gateway",
            env,
            f"{gateway}/health/ready",
            "migrate",
            urls={"API": f"{gateway}/api/v1", "Docs": f"{gateway}/docs"},
        ),
        # Notifications and mail from events, after the gateway's migrations have made its tables.
        Process(
            name="notifier",
            argv=[PYTHON, "-m", "gateway", "notifier"],
            ready_url=f"http://{env['FLOCK_NOTIFIER_HOST']}:{env['FLOCK_NOTIFIER_PORT']}/health/ready",
            env=dict(env),
        ),
    ]


def _service(
    name: str, env: Mapping[str, str], ready_url: str, step: str, urls: dict[str, str] | None = None
) -> Process:
    """``python -m name``, after ``python -m name step`` has run to completion."""
    return Process(
        name=name,
        argv=[PYTHON, "-m", name],
        ready_url=ready_url,
        env=dict(env),
        before=[[PYTHON, "-m", name, step]],
        urls=urls or {},
    )


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


def start(
    process: Process, log_file: Path | None = None, echo: IO[str] | None = None, timeout: float = 30.0
) -> subprocess.Popen[str]:
    """Run ``process``'s one-off steps, start it and wait until it is ready (stopping it if it is not);
    with ``echo``, the steps are printed there, prefixed with the process's name, as its output is."""
    for step in process.before:
        if echo:
            print(f"{process.name:>8} | $ python {' '.join(step[1:])}", file=echo, flush=True)
        run_step(step, process.env)
    child = spawn(process, log_file, echo)
    try:
        wait_ready(process, child, timeout)
    except RuntimeError:
        stop([(process, child)])
        raise
    return child
