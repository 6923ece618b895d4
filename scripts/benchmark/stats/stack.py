"""The servers the benchmark runs against: a broker, and stats processes as the local runner defines
them, each on a data path of its own, all in one temporary folder."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from pathlib import Path

from scripts import devstack


class Stack:
    """A broker, and stats processes on data paths of their own, all in one temporary folder."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="flock-bench-stats-"))
        self.children: list[tuple[devstack.Process, subprocess.Popen[str]]] = []
        self.broker: subprocess.Popen[bytes] | None = None
        self.bootstrap = ""

    def fresh_broker(self) -> None:
        """Stop the processes and the broker, and start an empty broker: each part of the benchmark
        starts from nothing (the broker keeps nothing across restarts)."""
        self.stop()
        if self.broker is not None:
            self.broker.terminate()
            self.broker.wait(10)
        self.bootstrap = f"127.0.0.1:{devstack.free_port()}"
        self.broker = devstack.start_embedded_broker(self.bootstrap, self.folder / "broker.log")

    def environment(self, name: str, **overrides: str) -> dict[str, str]:
        """A stats process's variables: this broker, a free port, a consumer group and data path of
        its own (``name``)."""
        env = {
            "FLOCK_KAFKA_BOOTSTRAP": self.bootstrap,
            "FLOCK_STATS_PORT": str(devstack.free_port()),
            "FLOCK_STATS_CONSUMER_GROUP": f"bench-{name}",
            # Tansu makes a consumer wait half its session timeout to join; Kafka allows 6 s and up.
            "FLOCK_STATS_SESSION_TIMEOUT_MS": "2000",
            "FLOCK_LOG_LEVEL": "warning",
            **overrides,
        }
        return devstack.default_environment(env, self.folder / name)

    def start(self, env: dict[str, str], *command: str) -> tuple[devstack.Process, str]:
        """Start a stats process as the runner defines it (``command`` replaces ``run``); return it and
        its gRPC address once it reports SERVING."""
        process = next(process for process in devstack.processes(env) if process.name == "stats")
        if command:
            process = dataclasses.replace(process, argv=[*process.argv, *command])
        child = devstack.start(process, self.folder / "stats.log", timeout=120)
        self.children.append((process, child))
        return process, process.ready_url.removeprefix("grpc://")

    def stop(self) -> None:
        """Stop the stats processes (the broker keeps running)."""
        devstack.stop(self.children)
        self.children.clear()

    def close(self) -> None:
        """Stop everything and delete the temporary folder."""
        self.stop()
        if self.broker is not None:
            self.broker.terminate()
            self.broker.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)
