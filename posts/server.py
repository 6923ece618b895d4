"""The posts process: a grpc.aio server with the standard health service, over a database pool that
lives exactly as long as the server.

Health answers SERVING (for the whole server and for ``flock.posts.v1.PostsService``) once the pool is
up. On SIGTERM or SIGINT the server reports NOT_SERVING, stops taking calls, and gives the calls in
flight ``FLOCK_POSTS_GRACE_SECONDS`` to finish before cancelling them; then the outbox relay stops
and the pool closes.

The outbox relay (``posts/relay.py``) and the consumer of account events (``posts/accounts.py``) run
beside the server for as long as it serves. It plays no
part in health: a broker outage delays events, it does not stop the service serving.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc

from idl.flock.posts.v1 import posts_pb2, posts_pb2_grpc
from posts import accounts, relay
from posts.comments import Comments
from posts.database import Database
from posts.feed import Feed
from posts.likes import Likes
from posts.moderation import Moderation
from posts.search import Search
from posts.service import Posts
from posts.servicer import PostsServicer
from posts.settings import PostsSettings
from servicekit.cli import configure_logging
from servicekit.grpc_server import GrpcServer, stop_requested

log = logging.getLogger("flock.posts")

SERVICE_NAME = posts_pb2.DESCRIPTOR.services_by_name["PostsService"].full_name


@asynccontextmanager
async def lifespan(settings: PostsSettings) -> AsyncIterator[Database]:
    """The database pool, open for the duration of the block."""
    database = Database(settings.db_url, pool_size=settings.db_pool_size)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def build_server(database: Database, settings: PostsSettings) -> GrpcServer:
    """The server with the posts and health services, bound to its address but not started."""

    def register(server: grpc.aio.Server) -> None:
        servicer = PostsServicer(
            Posts(database),
            Comments(database),
            Likes(database),
            Feed(database),
            Search(database),
            moderation=Moderation(database),
            crash_after_commit=settings.crash_after_commit,
        )
        posts_pb2_grpc.add_PostsServiceServicer_to_server(servicer, server)

    return GrpcServer(settings.host, settings.port, register, [SERVICE_NAME])


async def serve(settings: PostsSettings) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully."""
    configure_logging(settings.log_level)
    stop = stop_requested()
    async with lifespan(settings) as database, relay.running(settings), accounts.running(settings, database):
        server = build_server(database, settings)
        await server.start(serving=True)
        log.info("serving %s on %s", SERVICE_NAME, server.address)
        await stop.wait()
        log.info("stopping: calls in flight have %.1f s to finish", settings.grace_seconds)
        await server.stop(settings.grace_seconds)
    log.info("stopped")
