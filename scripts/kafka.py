"""Apache Kafka, the real one, on this machine without Docker: one KRaft node (broker and controller in
one JVM) whose data lives on disk, for tests of what must survive a broker restart, and for manual runs.

The server jars come from Maven Central through ``mvn`` (the coordinates are in ``scripts/kafka/pom.xml``)
into ``.flock/cache/kafka/<version>/libs``, once. Every port is bound on 127.0.0.1 only.

    python -m scripts.kafka fetch                                  # download the jars (idempotent)
    python -m scripts.kafka start --data-dir DIR --port P [--controller-port C]   # in the background
    python -m scripts.kafka stop --data-dir DIR                    # graceful (SIGTERM), then wait
    python -m scripts.kafka run --data-dir DIR --port P            # in the foreground; Ctrl-C stops it

From Python (tests): ``KafkaServer(data_dir, port)`` with ``start()``, ``stop()``, ``kill()``,
``restart()`` and ``bootstrap``. The first start formats the storage; later starts reuse it, so topics,
messages and consumer groups' committed offsets survive ``stop()``/``start()`` and even ``kill()``.

Files in the data folder: ``server.properties`` (rewritten on every start), ``kraft/`` (the metadata log
and the topics), ``logs/server.log`` (the broker's log), ``console.log`` (its warnings), ``kafka.pid``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POM = ROOT / "scripts" / "kafka" / "pom.xml"
LOG4J_CONFIG = ROOT / "scripts" / "kafka" / "log4j2.properties"
CACHE = ROOT / ".flock" / "cache" / "kafka"
HOST = "127.0.0.1"
HEAP = "512m"
# The broker's entry point and the storage tool (``kafka-storage.sh``): both in kafka_2.13, 3.9 and 4.x.
SERVER_CLASS = "kafka.Kafka"
STORAGE_TOOL_CLASS = "kafka.tools.StorageTool"
_MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


# ---- the jars ----------------------------------------------------------------------------------------


def kafka_version() -> str:
    """The Kafka version ``scripts/kafka/pom.xml`` asks for."""
    version = ET.parse(POM).getroot().findtext("m:properties/m:kafka.version", namespaces=_MAVEN_NS)  # noqa: S314 - our own file
    if not version:
        raise RuntimeError(f"{POM} sets no kafka.version property")
    return version.strip()


def libs_dir() -> Path:
    return CACHE / kafka_version() / "libs"


def _pom_digest() -> str:
    # The marker holds the pom's digest, so editing the pom (another dependency) fetches again.
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _fetched(libs: Path) -> bool:
    marker = libs / ".fetched"
    return marker.is_file() and marker.read_text() == _pom_digest()


def fetch(*, quiet: bool = True) -> Path:
    """Download the server jars unless they are already cached; return the folder holding them."""
    libs = libs_dir()
    if _fetched(libs):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Kafka's jars are fetched with Maven: install it (apt-get install maven)")
    libs.parent.mkdir(parents=True, exist_ok=True)
    # Into a fresh folder first, then renamed: an interrupted or concurrent fetch never leaves half a set.
    partial = Path(tempfile.mkdtemp(prefix="libs.", dir=libs.parent))
    command = [mvn, *(["-q"] if quiet else []), "-B", "-Dstyle.color=never", "-f", str(POM)]
    command += ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={partial}"]
    try:
        result = subprocess.run(command, cwd=POM.parent, capture_output=quiet, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"mvn could not fetch Kafka {kafka_version()}:\n{result.stdout}{result.stderr}"
            )
        (partial / ".fetched").write_text(_pom_digest())
        if not _fetched(libs):  # else another fetch got there first: its jars are as good
            shutil.rmtree(libs, ignore_errors=True)
            with contextlib.suppress(OSError):
                partial.rename(libs)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return libs


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found or not Path(found).exists():
        raise RuntimeError(
            "Kafka needs Java 17 or later: install it (apt-get install openjdk-17-jre-headless)"
        )
    return found


def _archive_name() -> str:
    binary = Path(java()).resolve()
    identity = f"{binary}:{binary.stat().st_mtime_ns}"
    return f"kafka-{hashlib.sha256(identity.encode()).hexdigest()[:12]}.jsa"


# ---- the server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


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
        return self.data_dir / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "kafka.pid"

    @property
    def log(self) -> Path:
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
        archive = libs / _archive_name()
        quiet = "-Xlog:cds*=off"  # a warning for each class it cannot archive; a bad archive is ignored
        if archive.is_file():
            return [f"-XX:SharedArchiveFile={archive}", quiet]
        return [f"-XX:ArchiveClassesAtExit={self.data_dir / _archive_name()}", quiet]

    def _keep_class_archive(self) -> None:
        written = self.data_dir / _archive_name()
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
            (self.data_dir / _archive_name()).unlink(missing_ok=True)

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


# ---- the command line ----------------------------------------------------------------------------------


def _run_in_foreground(server: KafkaServer) -> int:
    stop_signal: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stop_signal.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: stop_signal.append(signum))
    seconds = server.start(echo=True)
    print(f"Kafka {kafka_version()} ready on {server.bootstrap} in {seconds:.1f} s (data: {server.data_dir})")
    print(f"  FLOCK_KAFKA_BOOTSTRAP={server.bootstrap} just up\nCtrl-C stops it.", flush=True)
    try:
        while not stop_signal:
            if server.running_pid() is None:
                print(f"Kafka exited; see {server.log}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    finally:
        server.stop()
    print("Kafka stopped.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.kafka",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the server jars into .flock/cache (once)")
    for name, text in (("start", "start in the background"), ("run", "run in the foreground")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--data-dir", type=Path, required=True)
        command.add_argument("--port", type=int, default=9092)
        command.add_argument("--controller-port", type=int, default=None)
    commands.add_parser("stop", help="stop the broker of a data folder").add_argument(
        "--data-dir", type=Path, required=True
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            libs = fetch(quiet=False)
            jars = list(libs.glob("*.jar"))
            size = sum(jar.stat().st_size for jar in jars) / 2**20
            print(f"Kafka {kafka_version()}: {len(jars)} jars, {size:.0f} MiB in {libs}")
            return 0
        if args.command == "stop":
            server = KafkaServer(args.data_dir, 0)
            if server.running_pid() is None:
                print(f"No Kafka runs on {server.data_dir}.")
                return 0
            server.stop()
            print("Kafka stopped.")
            return 0
        server = KafkaServer(args.data_dir, args.port, controller_port=args.controller_port)
        if args.command == "run":
            return _run_in_foreground(server)
        seconds = server.start()
    except RuntimeError as error:
        print(f"kafka: {error}", file=sys.stderr)
        return 1
    print(server.bootstrap)
    print(f"Kafka {kafka_version()} ready in {seconds:.1f} s (pid {server.running_pid()})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
