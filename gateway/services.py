"""Everything the gateway's handlers call, made once per process: the database-backed domain services
and the clients of the internal services.

:func:`open_services` opens them all (pool, channels, the view publisher) for the lifespan of the app
and closes them after. Tests hand ``create_app`` a :class:`Services` of their own instead (fakes, for
in-process controller tests), which the app then uses as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from gateway import outbox
from gateway.account_mail.service import AccountMail
from gateway.auth.passwords import Passwords
from gateway.auth.service import Sessions
from gateway.auth.tokens import AccessTokens
from gateway.clients.channel import open_channel
from gateway.clients.posts import PostsClient
from gateway.clients.stats import StatsClient
from gateway.database import GatewayDatabase
from gateway.graph.service import Graph
from gateway.http.ratelimit import RateLimiter
from gateway.mail.links import Links
from gateway.settings import GatewaySettings
from gateway.users.service import Accounts
from gateway.view_events import ViewPublisher
from gateway.view_spool import ViewSpool


@dataclasses.dataclass(frozen=True, slots=True)
class Services:
    """The process-wide services; the per-request bindings are made in :mod:`gateway.http.dependencies`."""

    accounts: Accounts
    sessions: Sessions
    graph: Graph
    rate_limiter: RateLimiter
    posts: PostsClient
    stats: StatsClient
    views: ViewPublisher
    database: GatewayDatabase | None = None
    settings: GatewaySettings | None = None
    # The links mails carry (verification, reset, unsubscribe), on the public base URL.
    links: Links | None = None
    account_mail: AccountMail | None = None


def passwords_of(settings: GatewaySettings) -> Passwords:
    return Passwords(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


@asynccontextmanager
async def open_services(settings: GatewaySettings) -> AsyncIterator[Services]:
    """The services for ``settings``, open for the duration of the block."""
    database = GatewayDatabase(settings.db_url, pool_size=settings.db_pool_size)
    passwords = passwords_of(settings)
    await database.open()
    # gRPC channels belong to the event loop they are made on: make them here, not at import.
    posts_channel = open_channel(settings.posts_addr)
    stats_channel = open_channel(settings.stats_addr)
    views = ViewPublisher(
        settings.kafka_bootstrap,
        buffer_size=settings.view_buffer,
        secret=settings.jwt_secret.encode(),
        spool=ViewSpool(Path(settings.view_spool_dir)) if settings.view_spool_dir else None,
    )
    await views.start()
    try:
        graph = Graph(database)
        links = Links(settings.base_url, settings.jwt_secret)
        rate_limiter = RateLimiter(database, settings.rate_limit, settings.login_account_limit)
        account_mail = AccountMail(
            database,
            passwords,
            links,
            rate_limiter,
            verify_email_ttl=settings.verify_email_ttl,
            password_reset_ttl=settings.password_reset_ttl,
            address_limit=settings.password_reset_limit,
        )
        async with outbox.running(settings):
            yield Services(
                accounts=Accounts(database, passwords, graph, account_mail.queue_verification),
                sessions=Sessions(
                    database,
                    passwords,
                    AccessTokens(settings.jwt_secret, settings.access_token_ttl),
                    refresh_ttl_seconds=settings.refresh_token_ttl,
                    session_max_age_seconds=settings.session_max_age,
                ),
                graph=graph,
                rate_limiter=rate_limiter,
                posts=PostsClient(posts_channel, settings.grpc_timeout),
                stats=StatsClient(stats_channel, settings.grpc_timeout),
                views=views,
                database=database,
                settings=settings,
                links=links,
                account_mail=account_mail,
            )
    finally:
        await views.stop()
        await stats_channel.close()
        await posts_channel.close()
        await database.close()
