"""Export the AsyncAPI document of Flock's events to ``openapi/asyncapi.yaml`` (``just asyncapi``), or
check that the committed file is current (``--check``; a test does the same).

FastStream describes the channels and operations (who publishes, who subscribes, on which topic).
It derives payload schemas with pydantic, which cannot read msgspec Structs, so the payloads are
filled in here from ``msgspec.json.schema_components`` of the event contract itself
(``idl/flock/events/v1/events.py``): the document cannot drift from the types the services use.
"""

from __future__ import annotations

import sys
from typing import Any

import msgspec
import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from gateway.notifications.consumer import TOPICS as NOTIFIER_TOPICS
from idl.flock.events.v1 import events
from scripts import exported
from stats.consumer import COUNTED_TOPICS

SPEC_PATH = exported.ROOT / "openapi" / "asyncapi.yaml"

DESCRIPTION = """\
Flock's events. State changes (posts, likes, comments) are written by the posts service to an outbox
in the same transaction as the change and relayed to `flock.events.posts`; views are published by the
gateway to `flock.events.views`. Both are keyed by post id, so one post's events keep their order
within a partition. Account status changes (suspensions, disabling, deletion) are written by the
gateway to its own outbox and relayed to `flock.events.accounts`, keyed by account id; the posts and
stats services keep the newest `version` of each account and hide what a hidden account wrote.
Blocks and mutes go the same way to `flock.events.relationships`, keyed by the pair
(`actor:target`); the posts service keeps the newest `version` of each pair.
Delivery is at least once: consumers drop duplicates by `event_id`. Payloads are JSON objects tagged
by `type`.
""".replace("\n", " ").strip()

# Which payload each channel carries: a topic's events, by the name of their schema.
_TOPIC_SCHEMAS = {
    events.POSTS_TOPIC: "PostEvent",
    events.VIEWS_TOPIC: "PostViewed",
    events.ACCOUNTS_TOPIC: "AccountStatusChanged",
    events.RELATIONSHIPS_TOPIC: "RelationshipChanged",
    events.FOLLOWS_TOPIC: "FollowChanged",
}


def describe() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a dict."""
    broker = KafkaBroker("broker:9092", description="Redpanda in deploy; Tansu or Apache Kafka locally.")
    broker.publisher(
        events.POSTS_TOPIC,
        title="posts-outbox-relay",
        description="The posts service's outbox relay: every change to a post, comment or like.",
    )
    broker.publisher(
        events.VIEWS_TOPIC, title="gateway-views", description="The gateway: every read of a post."
    )
    broker.publisher(
        events.ACCOUNTS_TOPIC,
        title="gateway-outbox-relay",
        description="The gateway's outbox relay: every change of an account's status.",
    )
    broker.publisher(
        events.RELATIONSHIPS_TOPIC,
        title="gateway-outbox-relay-relationships",
        description="The gateway's outbox relay: every block, unblock, mute and unmute.",
    )
    broker.publisher(
        events.FOLLOWS_TOPIC,
        title="gateway-outbox-relay-follows",
        description="The gateway's outbox relay: every change of a follow (followed, requested, "
        "accepted, unfollowed, withdrawn, rejected, removed, ended by a block or a deleted account).",
    )

    @broker.subscriber(
        events.ACCOUNTS_TOPIC,
        events.RELATIONSHIPS_TOPIC,
        group_id="flock-posts-accounts",
        batch=True,
        title="posts-accounts-consumer",
        description="The posts service: which accounts' posts and comments to hide (from everyone, or "
        "from those they block, who block them, or mute them), and whose to remove.",
    )
    async def hide(messages: list[bytes]) -> None: ...

    @broker.subscriber(
        *COUNTED_TOPICS,
        group_id="flock-stats",
        batch=True,
        title="stats-consumer",
        description="The stats consumer: counts every event into ClickHouse, once.",
    )
    async def count(messages: list[bytes]) -> None: ...

    @broker.subscriber(
        *NOTIFIER_TOPICS,
        group_id="flock-notifier",
        batch=True,
        title="gateway-notifier",
        description="The gateway's notifier: in-app notifications (likes, comments, replies, mentions, "
        "follows) and mail to followers about new posts.",
    )
    async def notify(messages: list[bytes]) -> None: ...

    spec = AsyncAPI(broker, title="Flock events", version="1.0.0", description=DESCRIPTION)
    document: dict[str, Any] = spec.to_specification().to_jsonable()
    return _with_payloads(document)


def _with_payloads(document: dict[str, Any]) -> dict[str, Any]:
    (post_event, viewed, account, relationship, follow), components = msgspec.json.schema_components(
        [
            events.PostEvent,
            events.PostViewed,
            events.AccountStatusChanged,
            events.RelationshipChanged,
            events.FollowChanged,
        ],
        ref_template="#/components/schemas/{name}",
    )
    schemas: dict[str, Any] = {
        "PostEvent": post_event,
        "PostViewed": viewed,
        "AccountStatusChanged": account,
        "RelationshipChanged": relationship,
        "FollowChanged": follow,
        **components,
    }
    messages = document["components"]["messages"]
    for channel in document["channels"].values():
        schema = _TOPIC_SCHEMAS[channel["address"]]
        for reference in channel["messages"].values():
            message = messages[reference["$ref"].rsplit("/", 1)[1]]
            message["payload"] = {"$ref": f"#/components/schemas/{schema}"}
            message.pop("correlationId", None)  # Flock's events carry none
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    # FastStream keeps publishers in a set: sort, so that the export is the same on every run.
    for section in (document, document["components"]):
        for key in ("channels", "operations", "messages"):
            if key in section:
                section[key] = dict(sorted(section[key].items()))
    return document


def render() -> str:
    return str(yaml.safe_dump(describe(), sort_keys=False, allow_unicode=True, width=100))


if __name__ == "__main__":
    sys.exit(exported.main(SPEC_PATH, render, "asyncapi", __doc__))
