"""The posts service's outbox relay: :mod:`servicekit.relay` on the ``outbox`` table, publishing what
the service writes there (:mod:`posts.outbox`) to the broker, in order per post.

One posts process at a time publishes (the holder of the advisory lock :data:`posts.outbox.OUTBOX`
names); the others stand by and take over when it goes. ``FLOCK_POSTS_RELAY_BATCH`` rows per round,
``FLOCK_POSTS_RELAY_POLL_MS`` between polls when no notification wakes it; with
``FLOCK_KAFKA_BOOTSTRAP`` empty there is no relay and the rows wait. See :mod:`servicekit.relay` for
the guarantees.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from posts.outbox import OUTBOX
from posts.settings import PostsSettings
from servicekit import relay


def running(settings: PostsSettings) -> AbstractAsyncContextManager[None]:
    """The relay, in the background for the duration of the block (see :func:`servicekit.relay.running`)."""
    return relay.running(
        OUTBOX,
        db_url=settings.db_url,
        bootstrap=settings.kafka_bootstrap,
        batch=settings.relay_batch,
        poll_seconds=settings.relay_poll_ms / 1000,
    )
