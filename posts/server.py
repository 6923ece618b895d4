"""The posts process: a grpc.aio server with the standard health service, over a database pool that
lives exactly as long as the server.

Health answers SERVING (for the whole server and for ``flock.posts.v1.PostsService``) once the pool is
up. On SIGTERM or SIGINT the server reports NOT_SERVING, stops taking calls, and gives the calls in
flight ``FLOCK_POSTS_GRACE_SECONDS`` to finish before cancelling them; then the outbox relay stops
and the pool closes.

The outbox relay (``posts/relay.py``) runs beside the server for as long as it serves. It plays no
part in health: a broker outage delays events, it does not stop the service serving.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from idl.flock.posts.v1 import posts_pb2, posts_pb2_grpc
from posts import relay
from posts.comments import Comments
from posts.database import Database, keep_session, make_engine
from posts.feed import Feed
from posts.likes import Likes
from posts.search import Search
from posts.service import Posts
from posts.servicer import PostsServicer
from posts.settings import PostsSettings

log = logging.getLogger("flock.posts")

SERVICE_NAME = posts_pb2.DESCRIPTOR.services_by_name["PostsService"].full_name


@asynccontextmanager
async def lifespan(settings: PostsSettings) -> AsyncIterator[Database]:
    """The database pool, open for the duration of the block."""
    engine = make_engine(settings.db_url)
    await engine.start_connection_pool(min_size=1, max_size=settings.db_pool_size, reset=keep_session)
    try:
        yield Database(engine)
    finally:
        await engine.close_connection_pool()


def build_server(
    database: Database, settings: PostsSettings
) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    """The server with the posts and health services, bound to its address but not started."""
    # Without SO_REUSEPORT (on by default in gRPC on Linux) a second process on the same port fails
    # to start instead of silently sharing it.
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    servicer = PostsServicer(
        Posts(database), Comments(database), Likes(database), Feed(database), Search(database)
    )
    posts_pb2_grpc.add_PostsServiceServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{settings.host}:{settings.port}"
    if server.add_insecure_port(address) == 0:
        raise RuntimeError(f"cannot listen on {address}")
    return server, health_servicer


async def serve(settings: PostsSettings) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully."""
    logging.basicConfig(
        level="DEBUG" if settings.log_level.lower() == "trace" else settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with lifespan(settings) as database, relay.running(settings):
        server, health_servicer = build_server(database, settings)
        await server.start()
        for service in ("", SERVICE_NAME):
            await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving %s on %s:%d", SERVICE_NAME, settings.host, settings.port)
        await stop.wait()
        log.info("stopping: calls in flight have %.1f s to finish", settings.grace_seconds)
        await health_servicer.enter_graceful_shutdown()
        await server.stop(settings.grace_seconds)
    log.info("stopped")
