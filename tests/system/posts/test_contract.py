"""The service's contracts without a server: settings, the error-to-status map, the event types."""

from __future__ import annotations

import datetime
import uuid
from typing import TypeVar

import grpc
import msgspec
import pytest

from idl.flock.events.v1 import events
from idl.flock.posts.v1 import posts_pb2, posts_pb2_grpc
from posts import errors
from posts.domain import Visibility
from posts.outbox import new_event
from posts.servicer import _VISIBILITIES, _VISIBILITY_MESSAGES, PostsServicer
from posts.settings import SettingsError, env_name, env_names, load_database_settings, load_settings
from servicekit.errors import FlockError
from servicekit.grpc_server import status_of

E = TypeVar("E", bound=events.PostEventBase)
DB = {"FLOCK_POSTS_DB_URL": "postgresql://localhost/posts"}


def test_defaults_apply_when_only_the_database_is_given() -> None:
    settings = load_settings(DB)
    assert (settings.host, settings.port, settings.db_pool_size) == ("127.0.0.1", 50051, 10)
    assert (settings.grace_seconds, settings.log_level) == (10.0, "info")


def test_values_are_converted_from_text() -> None:
    settings = load_settings({**DB, "FLOCK_POSTS_PORT": "6000", "FLOCK_POSTS_GRACE_SECONDS": "2.5"})
    assert (settings.port, settings.grace_seconds) == (6000, 2.5)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "FLOCK_POSTS_DB_URL"),
        ({"FLOCK_POSTS_DB_URL": ""}, "FLOCK_POSTS_DB_URL"),
        ({**DB, "FLOCK_POSTS_PORT": "eighty"}, "FLOCK_POSTS_PORT"),
        ({**DB, "FLOCK_POSTS_PORT": "70000"}, "FLOCK_POSTS_PORT"),
        ({**DB, "FLOCK_POSTS_DB_POOL_SIZE": "0"}, "FLOCK_POSTS_DB_POOL_SIZE"),
        ({**DB, "FLOCK_POSTS_GRACE_SECONDS": "-1"}, "FLOCK_POSTS_GRACE_SECONDS"),
        ({**DB, "FLOCK_LOG_LEVEL": "loud"}, "FLOCK_LOG_LEVEL"),
        ({**DB, "FLOCK_POSTS_RELAY_BATCH": "0"}, "FLOCK_POSTS_RELAY_BATCH"),
        ({**DB, "FLOCK_POSTS_RELAY_POLL_MS": "soon"}, "FLOCK_POSTS_RELAY_POLL_MS"),
        ({**DB, "FLOCK_POSTS_FAULT_AFTER_COMMIT": "comment,everything"}, "FLOCK_POSTS_FAULT_AFTER_COMMIT"),
    ],
)
def test_a_bad_setting_names_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)


def test_the_fault_hook_is_off_unless_set() -> None:
    assert load_settings(DB).crash_after_commit == frozenset()
    hooked = load_settings({**DB, "FLOCK_POSTS_FAULT_AFTER_COMMIT": "comment,like"})
    assert hooked.crash_after_commit == {"comment", "like"}


def test_migrations_need_only_the_database_address() -> None:
    assert load_database_settings(DB).db_url == DB["FLOCK_POSTS_DB_URL"]


def test_variable_names() -> None:
    assert env_name("log_level") == "FLOCK_LOG_LEVEL"
    assert env_names() == {
        "FLOCK_POSTS_DB_URL",
        "FLOCK_POSTS_DB_POOL_SIZE",
        "FLOCK_POSTS_HOST",
        "FLOCK_POSTS_PORT",
        "FLOCK_POSTS_GRACE_SECONDS",
        "FLOCK_LOG_LEVEL",
        "FLOCK_KAFKA_BOOTSTRAP",
        "FLOCK_POSTS_RELAY_BATCH",
        "FLOCK_POSTS_RELAY_POLL_MS",
        "FLOCK_POSTS_ACCOUNTS_GROUP",
        "FLOCK_POSTS_ACCOUNTS_BATCH_TIMEOUT_MS",
        "FLOCK_POSTS_FAULT_AFTER_COMMIT",  # test only
    }


def test_every_error_has_a_status_code_and_keeps_its_wire_reason() -> None:
    raised = {
        kind
        for kind in vars(errors).values()
        if isinstance(kind, type) and issubclass(kind, FlockError) and kind.__module__ == errors.__name__
    }
    statuses = {kind.__name__: (status_of(kind), kind.code) for kind in raised}
    assert statuses == {
        "InvalidArgument": (grpc.StatusCode.INVALID_ARGUMENT, "invalid_argument"),
        "NotSignedIn": (grpc.StatusCode.UNAUTHENTICATED, "unauthenticated"),
        "PostNotFound": (grpc.StatusCode.NOT_FOUND, "post_not_found"),
        "PostRemoved": (grpc.StatusCode.NOT_FOUND, "post_removed"),
        "CommentNotFound": (grpc.StatusCode.NOT_FOUND, "comment_not_found"),
        "NotAllowed": (grpc.StatusCode.PERMISSION_DENIED, "forbidden"),
        "IdempotencyKeyReused": (grpc.StatusCode.ALREADY_EXISTS, "idempotency_key_reused"),
    }


def test_the_servicer_implements_every_rpc_of_the_contract() -> None:
    rpcs = set(posts_pb2.DESCRIPTOR.services_by_name["PostsService"].methods_by_name)
    assert {"ListFeed", "SearchPosts"} <= rpcs
    missing = {
        rpc
        for rpc in rpcs
        if getattr(PostsServicer, rpc) is getattr(posts_pb2_grpc.PostsServiceServicer, rpc)
    }
    assert missing == set()


def test_every_visibility_maps_both_ways() -> None:
    named = set(posts_pb2.Visibility.values()) - {posts_pb2.VISIBILITY_UNSPECIFIED}
    assert set(_VISIBILITY_MESSAGES.values()) == named
    assert {_VISIBILITIES[value] for value in named} == set(Visibility)
    assert all(_VISIBILITIES[_VISIBILITY_MESSAGES[v]] is v for v in Visibility)


def event(kind: type[E], **details: uuid.UUID) -> E:
    ids = {name: uuid.uuid4() for name in ("actor_id", "post_id", "post_author_id")}
    return new_event(kind, at=datetime.datetime.now(datetime.UTC), **ids, **details)


@pytest.mark.parametrize(
    ("made", "tag"),
    [
        (event(events.PostCreated), "post_created"),
        (event(events.PostUpdated), "post_updated"),
        (event(events.PostDeleted), "post_deleted"),
        (event(events.PostLiked), "post_liked"),
        (event(events.PostUnliked), "post_unliked"),
        (event(events.CommentAdded, comment_id=uuid.uuid4(), parent_id=uuid.uuid4()), "comment_added"),
        (event(events.CommentDeleted, comment_id=uuid.uuid4()), "comment_deleted"),
    ],
)
def test_any_event_decodes_to_its_own_type(made: events.PostEvent, tag: str) -> None:
    encoded = events.encode(made)
    assert msgspec.json.decode(encoded)["type"] == tag == events.event_type(made)
    assert events.decode(encoded) == made
    assert made.event_id.version == 7


def test_events_are_immutable_and_need_a_timezone() -> None:
    liked = event(events.PostLiked)
    with pytest.raises(AttributeError):
        liked.post_id = uuid.uuid4()  # type: ignore[misc]
    naive = {**msgspec.to_builtins(liked), "type": "post_liked", "occurred_at": "2026-01-01T00:00:00"}
    with pytest.raises(msgspec.ValidationError):
        events.decode(msgspec.json.encode(naive))
    with pytest.raises(msgspec.ValidationError):
        events.decode(b'{"type": "post_viewed"}')
