"""The servers the benchmark runs against: an embedded PostgreSQL in a temporary folder, and the posts
service on it as the local runner defines it (migrations first). No broker: the rows are written
straight into the table, so the outbox stays empty."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scripts import devstack


@dataclasses.dataclass(frozen=True)
class PostsService:
    """The running posts service: its database and its gRPC address."""

    db_url: str
    address: str


@contextlib.contextmanager
def posts_service() -> Iterator[PostsService]:
    """Start PostgreSQL and the posts service; stop both and delete their data on the way out."""
    data_dir = Path(tempfile.mkdtemp(prefix="flock-bench-feed-"))
    server = devstack.start_embedded_postgres(data_dir / "postgres")
    try:
        env = {
            "FLOCK_POSTS_DB_URL": devstack.ensure_database(server, "posts"),
            "FLOCK_POSTS_PORT": str(devstack.free_port()),
            "FLOCK_LOG_LEVEL": "warning",
        }
        env = devstack.default_environment(env, data_dir)
        process = next(process for process in devstack.processes(env) if process.name == "posts")
        child = devstack.start(process, data_dir / "posts.log")
        try:
            yield PostsService(env["FLOCK_POSTS_DB_URL"], process.ready_url.removeprefix("grpc://"))
        finally:
            devstack.stop([(process, child)])
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)
