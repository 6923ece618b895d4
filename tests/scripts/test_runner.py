"""`just up` / `just down`: the local runner starts everything, keeps data across runs, stops cleanly,
restarts a process that crashed and gives up on one that keeps crashing."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts import devstack
from scripts.devstack.environment import check_ports_free
from scripts.devstack.record import forget, record, system_file
from tests.conftest import FAST_ARGON2, free_port
from tests.factories import Members, Posts


class Runner:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.posts_port = free_port()
        self.stats_port = free_port()
        self.kafka_port = free_port()
        self.notifier_port = free_port()
        self.smtp_port = free_port()
        self.output: list[str] = []

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "scripts.devstack", *args, "--data-dir", str(self.data_dir)]

    def start(self) -> subprocess.Popen[str]:
        self.output = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOCK_")}
        env.update(
            FAST_ARGON2,
            FLOCK_GATEWAY_PORT=str(self.port),
            FLOCK_POSTS_PORT=str(self.posts_port),
            FLOCK_STATS_PORT=str(self.stats_port),
            FLOCK_EMBEDDED_KAFKA_PORT=str(self.kafka_port),
            FLOCK_NOTIFIER_PORT=str(self.notifier_port),
            FLOCK_EMBEDDED_SMTP_PORT=str(self.smtp_port),
        )
        child = subprocess.Popen(
            self.command("up"),
            cwd=devstack.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Read its output all along (a runner whose pipe is full would stall its processes).
        self._reader = threading.Thread(target=self._read, args=(child,), daemon=True)
        self._reader.start()
        self.wait_for("stops it", child=child)
        assert any("Flock is up" in line for line in self.output), "".join(self.output)
        return child

    def _read(self, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            self.output.append(line)

    def wait_for(self, text: str, timeout: float = 60, child: subprocess.Popen[str] | None = None) -> bool:
        """Whether ``text`` appears in the runner's output within ``timeout`` s (or before it exits)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in "".join(self.output):
                return True
            if child is not None and child.poll() is not None:
                break
            time.sleep(0.05)
        return text in "".join(self.output)

    def finish(self, child: subprocess.Popen[str], timeout: float = 60) -> str:
        child.wait(timeout)
        self._reader.join(10)
        if child.stdout is not None:
            child.stdout.close()
        return "".join(self.output)

    def child_pid(self, runner: subprocess.Popen[str], name: str) -> int:
        """The pid of the runner's process ``name`` (``python -m name``) now."""
        pattern = f"-m {name}$"
        found = subprocess.run(
            ["pgrep", "-P", str(runner.pid), "-f", "--", pattern], capture_output=True, text=True, check=False
        )
        pids = found.stdout.split()
        assert len(pids) == 1, (found.stdout, "".join(self.output))
        return int(pids[0])


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


def readiness(url: str) -> tuple[int, dict[str, str]]:
    try:
        answer = httpx.get(f"{url}/health/ready", timeout=2)
    except httpx.HTTPError:
        return 0, {}
    return answer.status_code, answer.json().get("checks", {})


def test_a_crashed_process_is_restarted_and_the_api_serves_again(runner: Runner) -> None:
    url = f"http://127.0.0.1:{runner.port}"
    child = runner.start()
    member = Members(url).create()
    post = Posts(url).create(member, "written before posts crashed")
    crashed = runner.child_pid(child, "posts")

    os.kill(crashed, signal.SIGKILL)
    killed_at = time.monotonic()
    # Meanwhile the gateway says it is not ready, and why.
    deadline, answers = time.monotonic() + 10, []
    while time.monotonic() < deadline:
        answers.append(readiness(url))
        if answers[-1][0] == 503:
            break
        time.sleep(0.02)
    status, checks = answers[-1]
    assert status == 503, answers
    assert checks["posts"] != "ok"
    assert checks["database"] == "ok"

    assert runner.wait_for("posts was killed by SIGKILL; restarting in", 10), "".join(runner.output)
    assert "(attempt 2)" in "".join(runner.output)
    assert runner.wait_for("posts is ready again", 30), "".join(runner.output)
    ready_again = time.monotonic() - killed_at
    deadline = time.monotonic() + 10
    while (read := httpx.get(f"{url}/api/v1/posts/{post['id']}")).status_code != 200:
        assert time.monotonic() < deadline, read.text
        time.sleep(0.02)
    serving_again = time.monotonic() - killed_at
    assert read.json()["text"] == "written before posts crashed"
    assert readiness(url)[0] == 200
    assert runner.child_pid(child, "posts") != crashed
    print(f"posts ready again {ready_again:.2f} s after kill -9, the API serving {serving_again:.2f} s after")

    child.send_signal(signal.SIGINT)
    assert "Flock stopped." in runner.finish(child)
    assert child.returncode == 0


def test_a_process_that_keeps_crashing_stops_everything_with_a_message(runner: Runner) -> None:
    child = runner.start()
    os.kill(runner.child_pid(child, "posts"), signal.SIGKILL)
    # Take posts' port before its restart binds it: every restart then fails to listen and exits.
    deadline = time.monotonic() + 5
    while True:
        try:
            squatter = socket.create_server(("127.0.0.1", runner.posts_port))
            break
        except OSError:
            assert time.monotonic() < deadline, "posts' port was not freed"
            time.sleep(0.005)
    with squatter:
        printed = runner.finish(child, timeout=120)
    assert child.returncode == 1, printed
    assert "posts crashed 5 times within 60 s (last: exited with 1); stopping everything" in printed
    assert [f"(attempt {n})" in printed for n in (2, 3, 4, 5)] == [True] * 4
    assert "Address already in use" in printed  # the crash itself, echoed from posts' output
    assert "Flock stopped." in printed
    assert not postgres_running(runner.data_dir / "postgres")


# ---- ports, brokers and the record of a running copy, without starting it -----------------------------


def test_one_base_moves_every_port_of_a_copy_and_a_ports_own_variable_wins() -> None:
    env = devstack.default_environment(
        {"FLOCK_LOCAL_PORT_BASE": "18000", "FLOCK_STATS_PORT": "19999"}, Path("/d")
    )
    assert (env["FLOCK_GATEWAY_PORT"], env["FLOCK_POSTS_PORT"], env["FLOCK_STATS_PORT"]) == (
        "18000",
        "18001",
        "19999",
    )
    assert (env["FLOCK_POSTS_ADDR"], env["FLOCK_STATS_ADDR"]) == ("127.0.0.1:18001", "127.0.0.1:19999")
    assert devstack.local_port(env, "FLOCK_EMBEDDED_KAFKA_PORT") == "18003"
    assert devstack.local_port(env, "FLOCK_NOTIFIER_PORT") == "18004"
    assert devstack.local_port(env, "FLOCK_EMBEDDED_SMTP_PORT") == "18005"
    assert devstack.local_port({}, "FLOCK_EMBEDDED_KAFKA_PORT") == "9092"
    assert devstack.default_environment({}, Path("/d"))["FLOCK_GATEWAY_PORT"] == "8000"


def test_the_gateway_keeps_its_unpublished_views_under_the_data_dir_unless_told_otherwise() -> None:
    assert devstack.default_environment({}, Path("/d"))["FLOCK_GATEWAY_VIEW_SPOOL_DIR"] == "/d/spool/views"
    given = {"FLOCK_GATEWAY_VIEW_SPOOL_DIR": "/elsewhere"}
    assert devstack.default_environment(given, Path("/d"))["FLOCK_GATEWAY_VIEW_SPOOL_DIR"] == "/elsewhere"


@pytest.mark.parametrize("base", ["x", "0", "65533"])
def test_a_port_base_that_leaves_no_room_for_four_ports_is_refused(base: str) -> None:
    with pytest.raises(RuntimeError, match="FLOCK_LOCAL_PORT_BASE must be a port number"):
        devstack.local_port({"FLOCK_LOCAL_PORT_BASE": base}, "FLOCK_GATEWAY_PORT")


def test_a_taken_service_port_stops_the_runner_with_a_message_naming_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = devstack.default_environment({"FLOCK_POSTS_PORT": str(port)}, Path("/d"))
        with pytest.raises(RuntimeError, match=rf"127.0.0.1:{port} \(FLOCK_POSTS_PORT\) is taken"):
            check_ports_free(env)


def test_the_runner_refuses_a_broker_it_did_not_start(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as someone_elses:
        address = f"127.0.0.1:{someone_elses.getsockname()[1]}"
        with pytest.raises(RuntimeError, match=rf"set FLOCK_KAFKA_BOOTSTRAP={address} to use that broker"):
            devstack.start_embedded_broker(address, tmp_path / "broker.log")


def test_a_running_copy_is_found_by_its_record_until_its_process_is_gone(tmp_path: Path) -> None:
    assert devstack.running_system(tmp_path) is None
    running = devstack.RunningSystem(
        os.getpid(), "http://127.0.0.1:18000", {"API": "http://127.0.0.1:18000/api/v1"}
    )
    record(tmp_path, running)
    assert devstack.running_system(tmp_path) == running
    record(
        tmp_path, devstack.RunningSystem(2**22 + 1, "http://127.0.0.1:18000", {})
    )  # above Linux's pid limit
    assert devstack.running_system(tmp_path) is None
    forget(tmp_path)
    assert not system_file(tmp_path).exists()
