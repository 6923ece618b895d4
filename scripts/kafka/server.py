"""One Apache Kafka node (KRaft: broker and controller in one JVM) on a data folder of its own: its
configuration, and starting, stopping and killing it."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from scripts.devstack import free_port
from scripts.kafka.jars import LOG4J_CONFIG, archive_name, fetch, java, libs_dir

HOST = "127.0.0.1"
HEAP = "512m"
# The broker's entry point and the storage tool (``kafka-storage.sh``): both in kafka_2.13, 3.9 and 4.x.
SERVER_CLASS = "kafka.Kafka"
STORAGE_TOOL_CLASS = "kafka.tools.StorageTool"


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """A single-node KRaft configuration: durable defaults, replication factors of one, fast groups."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static quorum of this one node: its address may change between starts.
        "controller.quorum.voters": f"1@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(data_dir / "kraft"),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        # One partition instead of 50: the first consumer group is ready in milliseconds, not seconds.
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # After a crash the controller refuses the broker's new registration until the old one's session
        # expires (9 s by default): a short session lets a killed broker come back in ~3 s. Broker and
        # controller share one JVM, so their heartbeats do not cross a network.
        "broker.heartbeat.interval.ms": "500",
        "broker.session.timeout.ms": "3000",
        "auto.create.topics.enable": "true",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _cluster_id() -> str:
    """A random id in Kafka's form (URL-safe base64 of 16 bytes); never starting with "-", which a
    command line would take for an option (Kafka's own ``Uuid.randomUuid`` avoids it too)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _accepts_requests(bootstrap: str) -> bool:
    """True once the broker answers a metadata request (what every client sends first)."""
    host, _, port = bootstrap.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped, unused-ignore]
    from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

    async def probe() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            await admin.list_topics()
        finally:
            await admin.close()

    # In a thread of its own, with its own event loop: callers may be inside a running loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(asyncio.run, probe()).result(timeout=10)
        except (KafkaError, OSError, TimeoutError):
            return False
    return True


def _is_kafka_of(pid: int, config: Path) -> bool:
    """Whether ``pid`` is alive and is the broker started with ``config`` (not a recycled pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():  # no /proc (macOS): trust the pid file
        return True
    try:
        arguments = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    return SERVER_CLASS.encode() in arguments and str(config).encode() in arguments


def _wait_gone(pid: int, config: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_kafka_of(pid, config):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class KafkaServer:
    """One Apache Kafka node (KRaft) keeping its data in ``data_dir``, listening on 127.0.0.1:``port``."""

    def __init__(self, data_dir: Path, port: int, *, controller_port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        # Unless given, a free port is picked on every start: only the node id is in the stored state.
        self.controller_port = controller_port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` for clients (``FLOCK_KAFKA_BOOTSTRAP``)."""
        return f"{HOST}:{self.port}"

    @property
    def config(self) -> Path:
        """The configuration file, rewritten on every start."""
        return self.data_dir / "server.properties"

    @property
    def pid_file(self) -> Path:
        """The running broker's pid."""
        return self.data_dir / "kafka.pid"

    @property
    def log(self) -> Path:
        """The broker's own log."""
        return self.data_dir / "logs" / "server.log"

    def running_pid(self) -> int | None:
        """The pid of the broker running on this data folder (started by anyone), if there is one."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if _is_kafka_of(pid, self.config) else None

    def start(self, timeout: float = 90.0, *, echo: bool = False) -> float:
        """Start the broker (formatting the storage on the first start) and wait until it answers
        requests; return the seconds that took. With ``echo`` its warnings go to this terminal."""
        began = time.monotonic()
        if (pid := self.running_pid()) is not None:
            raise RuntimeError(f"Kafka already runs on {self.data_dir} (pid {pid}); stop it first")
        libs = fetch()
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        controller_port = self.controller_port or free_port()
        self.config.write_text(server_properties(self.data_dir, self.port, controller_port))
        classpath = str(libs / "*")
        if not (self.data_dir / "kraft" / "meta.properties").exists():
            self._format(classpath)
        command = [java(), f"-Xmx{HEAP}", "-Xms128m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]
        command += [*self._class_data_sharing(libs), "-Djava.awt.headless=true"]
        command += [
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
        ]
        command += ["-cp", classpath, SERVER_CLASS, str(self.config)]
        with (self.data_dir / "console.log").open("ab") as console:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=None if echo else console,
                stderr=None if echo else subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,  # a Ctrl-C meant for the caller does not kill it mid-write
            )
        self.pid_file.write_text(str(self._process.pid))
        deadline = began + timeout
        while not _accepts_requests(self.bootstrap):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"Kafka did not start on {self.bootstrap}; the end of {self.log}:\n{self._tail()}"
                )
            time.sleep(0.1)
        return time.monotonic() - began

    def _class_data_sharing(self, libs: Path) -> list[str]:
        """JVM options for an archive of the broker's loaded classes (Java's AppCDS), which takes
        ~1-3 s off every start. The first run writes it at a graceful exit, into the data folder;
        :meth:`stop` moves it next to the jars, so a new set of jars never meets a stale archive, and
        its name is bound to this Java, which refuses an archive made by another."""
        archive = libs / archive_name()
        quiet = "-Xlog:cds*=off"  # a warning for each class it cannot archive; a bad archive is ignored
        if archive.is_file():
            return [f"-XX:SharedArchiveFile={archive}", quiet]
        return [f"-XX:ArchiveClassesAtExit={self.data_dir / archive_name()}", quiet]

    def _keep_class_archive(self) -> None:
        written = self.data_dir / archive_name()
        if written.is_file():
            # Copied beside its final name first (the data folder may be on another file system),
            # then renamed: a concurrent start never maps half an archive.
            partial = libs_dir() / f".{written.name}.{os.getpid()}"
            with contextlib.suppress(OSError):
                shutil.move(written, partial)
                os.replace(partial, libs_dir() / written.name)
            written.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)

    def _format(self, classpath: str) -> None:
        command = [java(), "-Xmx256m", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"]
        command += [f"-Dkafka.logs.dir={self.data_dir / 'logs'}", "-cp", classpath, STORAGE_TOOL_CLASS]
        command += ["format", "--cluster-id", _cluster_id(), "--config", str(self.config)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"formatting Kafka's storage failed:\n{result.stdout}{result.stderr}")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (Kafka's controlled shutdown: logs flushed, clean-shutdown marker written), then wait;
        SIGKILL if it takes longer than ``timeout`` seconds. Does nothing if it is not running."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would: the next start recovers the logs from what reached the disk."""
        self._signal(signal.SIGKILL, 10.0)

    def restart(self, timeout: float = 90.0) -> float:
        """Stop, then start again; return the seconds the start took."""
        self.stop()
        return self.start(timeout)

    def _signal(self, signum: int, timeout: float) -> None:
        pid = self.running_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
            if self._process is not None and self._process.pid == pid:
                try:
                    self._process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            elif not _wait_gone(pid, self.config, timeout):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, self.config, 10.0)
        self._process = None
        self.pid_file.unlink(missing_ok=True)
        if signum == signal.SIGTERM:
            self._keep_class_archive()
        else:  # a killed JVM may have left half an archive
            (self.data_dir / archive_name()).unlink(missing_ok=True)

    def _tail(self, lines: int = 40) -> str:
        text = ""
        for path in (self.log, self.data_dir / "console.log"):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def __enter__(self) -> KafkaServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
