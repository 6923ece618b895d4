"""`just up` / `just down`: the local runner starts everything, keeps data across runs, stops cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts import devstack
from tests.conftest import FAST_ARGON2, free_port
from tests.factories import Members, Posts


class Runner:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.posts_port = free_port()
        self.stats_port = free_port()
        self.kafka_port = free_port()
        self.output: list[str] = []

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "scripts.devstack", *args, "--data-dir", str(self.data_dir)]

    def start(self) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOCK_")}
        env.update(
            FAST_ARGON2,
            FLOCK_GATEWAY_PORT=str(self.port),
            FLOCK_POSTS_PORT=str(self.posts_port),
            FLOCK_STATS_PORT=str(self.stats_port),
            FLOCK_EMBEDDED_KAFKA_PORT=str(self.kafka_port),
        )
        child = subprocess.Popen(
            self.command("up"),
            cwd=devstack.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        for line in child.stdout:
            self.output.append(line)
            if "stops it" in line or time.monotonic() > deadline:
                break
        assert any("Flock is up" in line for line in self.output), "".join(self.output)
        return child

    def finish(self, child: subprocess.Popen[str]) -> str:
        out, _ = child.communicate(timeout=60)
        return out


@pytest.fixture
def runner() -> Iterator[Runner]:
    data_dir = Path(tempfile.mkdtemp(prefix="flock-runner-"))
    yield Runner(data_dir, free_port())
    shutil.rmtree(data_dir, ignore_errors=True)


def postgres_running(data_dir: Path) -> bool:
    result = subprocess.run(["pgrep", "-f", f"postgres -D {data_dir}"], capture_output=True, check=False)
    return result.returncode == 0


def test_up_serves_the_api_keeps_data_and_stops_cleanly(runner: Runner) -> None:
    url = f"http://127.0.0.1:{runner.port}"
    child = runner.start()
    printed = "".join(runner.output)
    assert f"{url}/api/v1" in printed
    assert f"{url}/docs" in printed
    member = Members(url).create()
    post = Posts(url).create(member, "written before the restart")
    assert (runner.data_dir / "secrets" / "jwt-secret").stat().st_mode & 0o077 == 0

    child.send_signal(signal.SIGINT)  # Ctrl-C
    assert "Flock stopped." in runner.finish(child)
    assert child.returncode == 0
    assert not postgres_running(runner.data_dir / "postgres")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health/live")

    # A second run reuses the data and the secret: the old session still authenticates.
    child = runner.start()
    assert httpx.get(f"{url}/api/v1/users/me", headers=member.auth).json()["username"] == member.username
    assert httpx.get(f"{url}/api/v1/posts/{post['id']}").json()["text"] == "written before the restart"
    stopped = subprocess.run(
        runner.command("down"), cwd=devstack.ROOT, capture_output=True, text=True, check=False
    )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    runner.finish(child)
    assert child.returncode == 0
    assert not postgres_running(runner.data_dir / "postgres")
