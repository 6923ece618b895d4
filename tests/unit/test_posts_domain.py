"""The posts service's rules on plain values: who may see a post, following lists, search page tokens."""

from __future__ import annotations

import random
import struct
import uuid

import pytest

from idl.flock.wire import MAX_FOLLOWING
from posts.domain import Caller, Role, Visibility, parse_following
from posts.errors import InvalidArgument
from posts.pagination import FLOAT4_MAX, SEARCH, SearchKey

AUTHOR = uuid.uuid4()


@pytest.mark.parametrize(
    ("reader", "visible"),
    [
        (Caller(AUTHOR), {Visibility.PUBLIC, Visibility.FOLLOWERS, Visibility.PRIVATE}),
        (Caller(uuid.uuid4(), following=frozenset({AUTHOR})), {Visibility.PUBLIC, Visibility.FOLLOWERS}),
        (Caller(uuid.uuid4()), {Visibility.PUBLIC}),
        (Caller(uuid.uuid4(), Role.ADMIN), {Visibility.PUBLIC}),
        (Caller(uuid.uuid4(), following=frozenset({uuid.uuid4()})), {Visibility.PUBLIC}),
        (Caller(None), {Visibility.PUBLIC}),
        (Caller(None, following=frozenset({AUTHOR})), {Visibility.PUBLIC}),
    ],
    ids=["author", "follower", "stranger", "admin", "follows-others", "anonymous", "anonymous-following"],
)
def test_who_sees_what(reader: Caller, visible: set[Visibility]) -> None:
    assert {v for v in Visibility if reader.can_see(AUTHOR, v)} == visible


def test_an_anonymous_caller_follows_nobody() -> None:
    assert Caller(None, following=frozenset({AUTHOR})).following == frozenset()


def test_a_following_list_is_a_set_of_canonical_ids() -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    assert parse_following([*ids, ids[0]]) == {uuid.UUID(i) for i in ids}
    assert parse_following([]) == frozenset()
    assert len(parse_following([str(uuid.uuid4()) for _ in range(MAX_FOLLOWING)])) == MAX_FOLLOWING


@pytest.mark.parametrize(
    "values",
    [
        ["bob"],
        [""],
        [uuid.uuid4().hex],
        ["{" + str(uuid.uuid4()) + "}"],
        [str(uuid.uuid4()) for _ in range(MAX_FOLLOWING + 1)],
    ],
    ids=["word", "empty", "bare-hex", "braces", "too-many"],
)
def test_a_bad_following_list_names_its_field(values: list[str]) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_following(values)
    assert raised.value.field == "caller.following"


def test_a_search_token_carries_a_float4_rank_exactly() -> None:
    # Every float4 PostgreSQL may return (ts_rank_cd's ranks are small positive ones) comes back from
    # the token as the same float4, so the next page starts exactly after it.
    generator = random.Random(7)  # noqa: S311 - test data, not a secret
    ranks = [0.0, 1e-45, 0.1, 1 / 3, 0.0607927106320858, 1e30, FLOAT4_MAX]
    ranks += [generator.uniform(0, 2) for _ in range(2000)] + [
        generator.expovariate(100) for _ in range(2000)
    ]
    for value in ranks:
        as_float4 = struct.unpack("f", struct.pack("f", value))[0]
        key = SearchKey(as_float4, uuid.uuid4())
        decoded = SEARCH.decode(SEARCH.encode(key))
        assert decoded == key
        assert struct.pack("f", decoded.rank) == struct.pack("f", as_float4)


@pytest.mark.parametrize("rank", [-0.5, 3.5e38, float("inf")])
def test_a_search_token_with_an_impossible_rank_is_refused(rank: float) -> None:
    token = SEARCH.encode(SearchKey(rank, uuid.uuid4()))
    with pytest.raises(InvalidArgument):
        SEARCH.decode(token)
