"""The notifier process (``python -m gateway notifier``): everything the gateway does after the fact,
from events, out of the request path.

- the consumer (:mod:`gateway.notifications.consumer`) turns posts, follows and relationship events
  into notifications and new-post mail;
- the mail sender (:mod:`gateway.mail.sender`) hands the mail outbox to SMTP;
- the digests (:func:`gateway.mail.new_posts.digests_running`) and the housekeeping of old
  notifications run on timers.

It works on the gateway's database with the gateway's settings, and serves only ``/health/live`` and
``/health/ready`` (on ``FLOCK_NOTIFIER_HOST``:``FLOCK_NOTIFIER_PORT``). Any number may run: they share
the consumer group, and the sender's leases keep two from sending one mail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from litestar import Litestar, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from gateway.clients.channel import open_channel
from gateway.clients.posts import PostsClient
from gateway.database import GatewayDatabase
from gateway.health import Health, database_check
from gateway.mail import sender
from gateway.mail.links import Links
from gateway.mail.new_posts import NewPostMail, digests_running
from gateway.notifications import consumer, notifier
from gateway.settings import GatewaySettings, settings_from_environment
from servicekit.background import in_background
from servicekit.database import Database

log = logging.getLogger("flock.notifier")

HOUSEKEEPING_SECONDS = 3600.0


@asynccontextmanager
async def _housekeeping(database: Database) -> AsyncIterator[None]:
    """Old notifications and event ids deleted every hour."""

    async def loop() -> None:
        while True:
            try:
                async with database.transaction() as connection:
                    await notifier.forget_old(connection)
            except Exception as error:  # noqa: BLE001 - next hour, then
                log.warning("notification housekeeping failed: %r", error)
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async with in_background(loop(), "notification-housekeeping"):
        yield


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    """The notifier's health endpoints, with the workers running for the app's lifespan."""
    settings = settings or settings_from_environment()
    database = GatewayDatabase(settings.db_url, pool_size=min(settings.db_pool_size, 5))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await database.open()
        channel = open_channel(settings.posts_addr)
        links = Links(settings.base_url, settings.jwt_secret)
        new_posts = NewPostMail(
            database, PostsClient(channel, settings.grpc_timeout), links, settings.digest_interval
        )
        try:
            async with AsyncExitStack() as workers:
                await workers.enter_async_context(consumer.running(settings, database, new_posts))
                await workers.enter_async_context(sender.running(settings, database, links))
                await workers.enter_async_context(digests_running(new_posts, settings.digest_interval))
                await workers.enter_async_context(_housekeeping(database))
                yield
        finally:
            await channel.close()
            await database.close()

    @get("/health/live", summary="The process is up")
    async def live() -> Health:
        return Health(status="ok")

    @get("/health/ready", summary="The notifier can work: its database answers")
    async def ready() -> Response[Health]:
        check = await database_check(database)
        return Response(
            Health(status="ok" if check == "ok" else "unavailable", checks={"database": check}),
            status_code=HTTP_200_OK if check == "ok" else HTTP_503_SERVICE_UNAVAILABLE,
        )

    return Litestar(
        route_handlers=[live, ready], lifespan=[lifespan], openapi_config=None, logging_config=None
    )


def serve() -> None:
    """Run the notifier until SIGTERM or SIGINT."""
    import uvicorn

    from servicekit import cli

    settings = settings_from_environment()
    cli.configure_logging(settings.log_level)
    uvicorn.run(
        "gateway.notifier:create_app",
        factory=True,
        host=settings.notifier_host,
        port=settings.notifier_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
