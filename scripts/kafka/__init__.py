"""Apache Kafka, the real one, on this machine without Docker: one KRaft node (broker and controller in
one JVM) whose data lives on disk, for tests of what must survive a broker restart, and for manual runs.

The server jars come from Maven Central through ``mvn`` (the coordinates are in ``pom.xml`` beside this
file) into ``.flock/cache/kafka/<version>/libs``, once. Every port is bound on 127.0.0.1 only.

    python -m scripts.kafka fetch                                  # download the jars (idempotent)
    python -m scripts.kafka start --data-dir DIR --port P [--controller-port C]   # in the background
    python -m scripts.kafka stop --data-dir DIR                    # graceful (SIGTERM), then wait
    python -m scripts.kafka run --data-dir DIR --port P            # in the foreground; Ctrl-C stops it

From Python (tests): ``KafkaServer(data_dir, port)`` with ``start()``, ``stop()``, ``kill()``,
``restart()`` and ``bootstrap``. The first start formats the storage; later starts reuse it, so topics,
messages and consumer groups' committed offsets survive ``stop()``/``start()`` and even ``kill()``.

Files in the data folder: ``server.properties`` (rewritten on every start), ``kraft/`` (the metadata log
and the topics), ``logs/server.log`` (the broker's log), ``console.log`` (its warnings), ``kafka.pid``.

The package: :mod:`~scripts.kafka.jars` (fetching the jars, finding Java), :mod:`~scripts.kafka.server`
(one node: its configuration, start, stop, kill), ``__main__`` (the command line), and the resources
they read: ``pom.xml`` (the Maven coordinates of the jars) and ``log4j2.properties`` (the broker's logs).
"""

from __future__ import annotations

from scripts.devstack import free_port
from scripts.kafka.jars import fetch, kafka_version
from scripts.kafka.server import KafkaServer

__all__ = ["KafkaServer", "fetch", "free_port", "kafka_version"]
