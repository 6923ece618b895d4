"""Servers for the whole test session, started once: a real PostgreSQL and a real gateway process.

PostgreSQL is the embedded one (pgserver) in a temporary folder, unless ``FLOCK_TEST_PG_URL`` names a
server to use instead (its user must be allowed to create databases). Each service gets a fresh
database with the migrations applied, exactly as ``just up`` does, through the same functions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import pytest

from scripts import devstack
from scripts.kafka import KafkaServer
from tests.smtp import MailServer

SYSTEM_TESTS = Path(__file__).resolve().parent / "system"
# Fixtures that start a server or a process: a test that asks for one is a system test.
PROCESS_FIXTURES = frozenset(
    {"postgres", "broker", "kafka", "system_env", "posts_service", "stats_service", "gateway", "gateway_url"}
    | {"runner", "rendered"}  # the local runner; PlantUML on Java
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``system`` every test under tests/system/ and every test that starts servers, so that
    ``-m "not system"`` is the fast layer: in-process, in seconds, without Java, Maven or npm."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if SYSTEM_TESTS in item.path.parents or fixtures & PROCESS_FIXTURES or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.system)


# Cheap argon2 parameters: the tests exercise hashing, not its cost.
FAST_ARGON2 = {
    "FLOCK_ARGON2_TIME_COST": "1",
    "FLOCK_ARGON2_MEMORY_COST": "1024",
    "FLOCK_ARGON2_PARALLELISM": "1",
}
JWT_SECRET = secrets.token_urlsafe(48)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Postgres:
    """A PostgreSQL server the tests may create databases on."""

    def __init__(self, server: Any | None, admin_url: str | None) -> None:
        self._server = server
        self._admin_url = admin_url

    def create_database(self, prefix: str) -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        if self._server is not None:
            return devstack.ensure_database(self._server, name)
        assert self._admin_url is not None

        async def create() -> None:
            connection = await asyncpg.connect(self._admin_url)
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        asyncio.run(create())
        base, _, _ = self._admin_url.rpartition("/")
        return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    admin_url = os.environ.get("FLOCK_TEST_PG_URL")
    if admin_url:
        yield Postgres(None, admin_url)
        return
    # Not under pytest's tmp folder: that one is private to root, and pgserver runs PostgreSQL as
    # another user when started as root.
    data_dir = Path(tempfile.mkdtemp(prefix="flock-test-pg-"))
    server = devstack.start_embedded_postgres(data_dir)
    yield Postgres(server, None)
    server.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


class OwnPostgres:
    """An embedded PostgreSQL of one test module's own, so stopping it harms no other test."""

    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="flock-outage-pg-"))
        self.server = devstack.start_embedded_postgres(self.data_dir)

    def create_database(self, prefix: str) -> str:
        return devstack.ensure_database(self.server, prefix)

    def stop(self) -> None:
        self.server.cleanup()

    def start(self) -> None:
        self.server = devstack.start_embedded_postgres(self.data_dir)


class RunningProcess:
    """A service process started for the tests, with the environment it was given."""

    def __init__(self, process: devstack.Process, child: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.child = child
        self.log = log

    @property
    def env(self) -> dict[str, str]:
        return self.process.env

    def stop(self) -> None:
        devstack.stop([(self.process, self.child)])


def start_process(process: devstack.Process, log_dir: Path) -> RunningProcess:
    """Run ``process``'s one-off steps, start it and wait until it is ready, as ``just up`` does."""
    for step in process.before:
        devstack.run_step(step, process.env)
    log = log_dir / f"{process.name}.log"
    child = devstack.spawn(process, log)
    try:
        devstack.wait_ready(process, child)
    except RuntimeError:
        devstack.stop([(process, child)])
        raise RuntimeError(f"{process.name} did not start; its log:\n{log.read_text()}") from None
    return RunningProcess(process, child, log)


class Databases(Protocol):
    def create_database(self, prefix: str) -> str: ...


def system_environment(postgres: Databases, broker: str | None = None, **overrides: str) -> dict[str, str]:
    """The environment ``just up`` would give every process: fresh databases, free ports, a fresh
    ClickHouse data path. Without ``broker`` (host:port) the Kafka address is one where nothing
    listens: producers must then buffer and retry, as they would while a broker is down."""
    ports = {service: str(free_port()) for service in ("GATEWAY", "POSTS", "STATS", "NOTIFIER")}
    env = {f"FLOCK_{service}_PORT": port for service, port in ports.items()}
    env.update(
        FLOCK_GATEWAY_DB_URL=postgres.create_database("gateway"),
        FLOCK_POSTS_DB_URL=postgres.create_database("posts"),
        FLOCK_JWT_SECRET=JWT_SECRET,
        FLOCK_KAFKA_BOOTSTRAP=broker or f"127.0.0.1:{free_port()}",
        FLOCK_LOG_LEVEL="warning",
        **FAST_ARGON2,
    )
    env.update(overrides)
    return devstack.default_environment(env, Path(tempfile.mkdtemp(prefix="flock-test-data-")))


def service_process(env: dict[str, str], name: str) -> devstack.Process:
    """The runner's definition of process ``name``, configured with ``env``."""
    return next(process for process in devstack.processes(env) if process.name == name)


def gateway_process(env: dict[str, str], *, alone: bool = False) -> devstack.Process:
    """The gateway's process; ``alone``, without the services its readiness waits for (so it is
    waited for until it is live instead)."""
    process = service_process(env, "gateway")
    if alone:
        process = dataclasses.replace(
            process, ready_url=process.ready_url.replace("/health/ready", "/health/live")
        )
    return process


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """A Kafka-protocol broker (Tansu, memory-only) for the session, or the one in
    ``FLOCK_TEST_KAFKA_BOOTSTRAP``; yields its host:port."""
    given = os.environ.get("FLOCK_TEST_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    address = f"127.0.0.1:{free_port()}"
    log = Path(tempfile.mkdtemp(prefix="flock-test-broker-")) / "broker.log"
    process = devstack.start_embedded_broker(address, log)
    yield address
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    """Apache Kafka (KRaft, one node, data on disk) for the session, for the tests of what must survive
    a broker restart: they may stop(), kill(), restart() and start() it (and must leave it running);
    its address stays the same. `broker` (Tansu, memory-only) stays the default elsewhere."""
    server = KafkaServer(tmp_path_factory.mktemp("kafka"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server for the session: the mail the system sends arrives here."""
    server = MailServer(free_port())
    server.start()
    yield server
    server.stop()


# Mail handed over at once and retried within moments, digests due a few seconds after a post.
FAST_MAIL = {
    "FLOCK_MAIL_POLL_MS": "100",
    "FLOCK_MAIL_RETRY_FIRST_MS": "200",
    "FLOCK_DIGEST_INTERVAL": "3",
}


@pytest.fixture(scope="session")
def system_env(postgres: Postgres, broker: str, mail_server: MailServer) -> dict[str, str]:
    return system_environment(
        postgres,
        broker,
        FLOCK_SMTP_HOST=mail_server.host,
        FLOCK_SMTP_PORT=str(mail_server.port),
        **FAST_MAIL,
    )


@pytest.fixture(scope="session")
def posts_service(
    system_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProcess]:
    """The posts service, as a real process on its own database."""
    running = start_process(service_process(system_env, "posts"), tmp_path_factory.mktemp("logs"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stats_service(
    system_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProcess]:
    """The stats service (consumer and gRPC API in one process, on the embedded ClickHouse)."""
    running = start_process(service_process(system_env, "stats"), tmp_path_factory.mktemp("logs"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway(
    system_env: dict[str, str],
    posts_service: RunningProcess,
    stats_service: RunningProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningProcess]:
    """The gateway, as a real process on its own database, calling the posts and stats services; and
    its notifier beside it (notifications and mail from events)."""
    logs = tmp_path_factory.mktemp("logs")
    running = start_process(gateway_process(system_env), logs)
    notifier = start_process(service_process(system_env, "notifier"), logs)
    yield running
    notifier.stop()
    running.stop()


@pytest.fixture(scope="session")
def gateway_url(gateway: RunningProcess) -> str:
    return f"http://{gateway.env['FLOCK_GATEWAY_HOST']}:{gateway.env['FLOCK_GATEWAY_PORT']}"


def sql(db_url: str, query: str, *args: object) -> list[dict[str, Any]]:
    """Run one statement on a service's database: for asserting what the API cannot show."""

    async def run() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(db_url)
        try:
            return [dict(row) for row in await connection.fetch(query, *args)]
        finally:
            await connection.close()

    return asyncio.run(run())
