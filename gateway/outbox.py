"""The gateway's outbox: account events (``gateway/users/status.py``) are written to it in the
transaction of the change, and the relay (:mod:`servicekit.relay`, run by :mod:`gateway.services`)
publishes them, as the posts service does with its own."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from piccolo.columns import JSONB, UUID, BigSerial, Text, Timestamptz
from piccolo.table import Table

from gateway.settings import GatewaySettings
from servicekit import outbox, relay

# The table, the channel its insert trigger notifies (the "moderation" migration), the lock that makes
# one gateway instance's relay the publisher, and the relay's name towards the broker.
OUTBOX = outbox.Outbox(
    table="outbox",
    channel="flock_gateway_outbox",
    lock_name="flock.gateway.outbox-relay",
    client_id="flock-gateway-relay",
)


class OutboxEvent(Table, tablename="outbox"):
    """An event written in the transaction of the change it describes, waiting for the relay
    (``published_at`` is null until then)."""

    id = BigSerial(primary_key=True)
    event_id = UUID(null=False, unique=True)
    topic = Text(null=False)
    key = Text(null=False)
    event_type = Text(null=False)
    payload = JSONB(null=False)
    occurred_at = Timestamptz(null=False)
    published_at = Timestamptz(null=True, default=None)


def running(settings: GatewaySettings) -> AbstractAsyncContextManager[None]:
    """The relay in the background for the block; with no broker configured, none (rows wait)."""
    return relay.running(
        OUTBOX,
        db_url=settings.db_url,
        bootstrap=settings.kafka_bootstrap,
        batch=settings.relay_batch,
        poll_seconds=settings.relay_poll_ms / 1000,
    )
