"""The ``FLOCK_*`` variables the runner gives every process: addresses and ports, the secret, and the
embedded servers' addresses when the environment names no servers of its own.

Every port of a local copy moves with one setting, ``FLOCK_LOCAL_PORT_BASE``: with it set to B, the
gateway listens on B, the posts service on B+1, the stats service on B+2, the embedded broker on
B+3, the notifier on B+4 and the embedded SMTP server on B+5. A port's own variable
(``FLOCK_GATEWAY_PORT``, …, ``FLOCK_EMBEDDED_SMTP_PORT``) still wins.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from pathlib import Path

from scripts.devstack.infrastructure import (
    Infrastructure,
    ensure_database,
    start_embedded_broker,
    start_embedded_postgres,
    start_embedded_smtp,
)
from scripts.devstack.processes import is_ready

PORT_BASE = "FLOCK_LOCAL_PORT_BASE"
EMBEDDED_KAFKA_PORT = "FLOCK_EMBEDDED_KAFKA_PORT"
EMBEDDED_SMTP_PORT = "FLOCK_EMBEDDED_SMTP_PORT"
# Each port's variable, its default, and its place after FLOCK_LOCAL_PORT_BASE.
PORTS = {
    "FLOCK_GATEWAY_PORT": (8000, 0),
    "FLOCK_POSTS_PORT": (50051, 1),
    "FLOCK_STATS_PORT": (50052, 2),
    EMBEDDED_KAFKA_PORT: (9092, 3),
    "FLOCK_NOTIFIER_PORT": (8010, 4),
    EMBEDDED_SMTP_PORT: (1025, 5),
}
# The services the runner gives a host and a port.
SERVICES = ("GATEWAY", "POSTS", "STATS", "NOTIFIER")
_LAST_PORT = 65535


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_port(env: Mapping[str, str], variable: str) -> str:
    """The port ``variable`` (one of :data:`PORTS`) names: its own value if set, else its place after
    ``FLOCK_LOCAL_PORT_BASE`` if that is set, else its default."""
    if variable in env:
        return env[variable]
    default, place = PORTS[variable]
    if PORT_BASE not in env:
        return str(default)
    base = env[PORT_BASE]
    if not base.isdigit() or not 1 <= int(base) <= _LAST_PORT - len(PORTS) + 1:
        raise RuntimeError(
            f"{PORT_BASE} must be a port number from 1 to {_LAST_PORT - len(PORTS) + 1}"
            f" (the first of {len(PORTS)} in a row), got {base!r}"
        )
    return str(int(base) + place)


def default_environment(env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """``env`` with every address the runner's defaults would give (ports, ClickHouse's data path, the
    gateway's view spool)."""
    env = dict(env)
    for service in SERVICES:
        env.setdefault(f"FLOCK_{service}_HOST", "127.0.0.1")
        env[f"FLOCK_{service}_PORT"] = local_port(env, f"FLOCK_{service}_PORT")
    env.setdefault("FLOCK_POSTS_ADDR", f"{env['FLOCK_POSTS_HOST']}:{env['FLOCK_POSTS_PORT']}")
    env.setdefault("FLOCK_STATS_ADDR", f"{env['FLOCK_STATS_HOST']}:{env['FLOCK_STATS_PORT']}")
    env.setdefault("FLOCK_STATS_CLICKHOUSE_URL", f"chdb://{data_dir / 'clickhouse'}")
    # Views the gateway could not publish before it stopped wait here for its next start.
    env.setdefault("FLOCK_GATEWAY_VIEW_SPOOL_DIR", str(data_dir / "spool" / "views"))
    # The local copy serves plain HTTP on 127.0.0.1: the admin panel's cookie cannot be HTTPS-only.
    env.setdefault("FLOCK_GATEWAY_ADMIN_COOKIE_SECURE", "false")
    return env


def secret(data_dir: Path, name: str) -> str:
    """A random secret kept in ``data_dir/secrets/name`` (generated on first use, mode 0600)."""
    path = data_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def check_ports_free(env: Mapping[str, str]) -> None:
    """Fail with a clear message if a port the services would listen on is taken: a service that
    cannot bind exits, but the runner's probe might meanwhile find another copy's service ready."""
    for service in SERVICES:
        address = f"{env[f'FLOCK_{service}_HOST']}:{env[f'FLOCK_{service}_PORT']}"
        if is_ready(f"tcp://{address}"):
            elsewhere = int(env["FLOCK_GATEWAY_PORT"]) + 100
            raise RuntimeError(
                f"{address} (FLOCK_{service}_PORT) is taken, maybe by another `just up`: stop it, or"
                f" move this copy's ports, e.g. {PORT_BASE}={elsewhere} uv run just up"
            )


def runner_environment(data_dir: Path) -> tuple[dict[str, str], Infrastructure]:
    """The ``FLOCK_*`` variables for every process; starts the embedded PostgreSQL and broker unless
    the environment names servers to use instead."""
    env = {key: value for key, value in os.environ.items() if key.startswith("FLOCK_")}
    env = default_environment(env, data_dir)
    check_ports_free(env)
    env.setdefault("FLOCK_JWT_SECRET", secret(data_dir, "jwt-secret"))
    infrastructure = Infrastructure()
    try:
        if "FLOCK_KAFKA_BOOTSTRAP" not in env:
            # The runner's own broker; it refuses a port where something listens already, so two
            # copies never share a broker (and a consumer group) by accident. First, as it
            # starts in milliseconds and PostgreSQL in seconds.
            env["FLOCK_KAFKA_BOOTSTRAP"] = f"127.0.0.1:{local_port(env, EMBEDDED_KAFKA_PORT)}"
            infrastructure.broker = start_embedded_broker(
                env["FLOCK_KAFKA_BOOTSTRAP"], data_dir / "logs" / "broker.log"
            )
        if "FLOCK_SMTP_HOST" not in env:
            # Mail stays on the machine, in a Maildir that `just mail` reads.
            address = f"127.0.0.1:{local_port(env, EMBEDDED_SMTP_PORT)}"
            infrastructure.mail = start_embedded_smtp(
                address, data_dir / "mail", data_dir / "logs" / "mail.log"
            )
            env["FLOCK_SMTP_HOST"], env["FLOCK_SMTP_PORT"] = address.rsplit(":", 1)
        # One embedded PostgreSQL server, one database per service: nobody reads another's tables.
        for database, variable in (("gateway", "FLOCK_GATEWAY_DB_URL"), ("posts", "FLOCK_POSTS_DB_URL")):
            if variable not in env:
                if infrastructure.postgres is None:
                    infrastructure.postgres = start_embedded_postgres(data_dir / "postgres")
                env[variable] = ensure_database(infrastructure.postgres, database)
    except BaseException:
        infrastructure.stop()
        raise
    return env, infrastructure
