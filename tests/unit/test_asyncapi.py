"""The AsyncAPI document of the events is committed, current, and complete."""

from __future__ import annotations

import msgspec
import yaml

from idl.flock.events.v1 import events
from scripts import asyncapi


def test_the_committed_asyncapi_document_matches_the_event_contract() -> None:
    assert asyncapi.SPEC_PATH.read_text() == asyncapi.render(), "stale: run `just asyncapi`"


def test_every_event_and_topic_is_documented() -> None:
    document = yaml.safe_load(asyncapi.SPEC_PATH.read_text())
    assert document["asyncapi"].startswith("3.")
    assert {channel["address"] for channel in document["channels"].values()} == set(events.TOPICS)
    schemas = document["components"]["schemas"]
    for kind in (
        *events.PostEvent.__args__,
        events.PostViewed,
        events.AccountStatusChanged,
        events.RelationshipChanged,
        events.FollowChanged,
    ):
        assert kind.__name__ in schemas
        tag = kind.__struct_config__.tag
        assert schemas[kind.__name__]["properties"]["type"]["enum"] == [tag]
    payloads = {m["payload"]["$ref"] for m in document["components"]["messages"].values()}
    assert payloads == {
        "#/components/schemas/PostEvent",
        "#/components/schemas/PostViewed",
        "#/components/schemas/AccountStatusChanged",
        "#/components/schemas/RelationshipChanged",
        "#/components/schemas/FollowChanged",
    }


def test_documented_payloads_decode_with_the_contract() -> None:
    liked = msgspec.json.decode(
        b'{"type":"post_liked","event_id":"01900000-0000-7000-8000-000000000001",'
        b'"occurred_at":"2026-11-26T10:00:00Z","actor_id":"01900000-0000-7000-8000-000000000002",'
        b'"post_id":"01900000-0000-7000-8000-000000000003","post_author_id":"01900000-0000-7000-8000-000000000004"}'
    )
    assert isinstance(events.decode(msgspec.json.encode(liked)), events.PostLiked)
