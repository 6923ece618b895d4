"""Search cursors round-trip exactly and only work for the search (type and terms) that made them."""

from __future__ import annotations

import pytest

from gateway.search import cursor
from gateway.search.cursor import MalformedCursor, Position
from gateway.search.schemas import SearchType
from gateway.search.users import MAX_SCORE, UserKey, like_prefix

POSITIONS: list[tuple[SearchType, Position]] = [
    ("users", Position(users=UserKey(30_375_000, "ada_lovelace"), posts=None)),
    ("posts", Position(users=None, posts="WyJzZWFyY2giLFsxLjUsIjAxOWEiXV0")),
    ("all", Position(users=UserKey(MAX_SCORE - 1, "a"), posts="abc-_=")),
    ("all", Position(users=None, posts="abc")),
    ("all", Position(users=UserKey(0, "zz"), posts=None)),
]


@pytest.mark.parametrize(("kind", "position"), POSITIONS)
def test_a_cursor_gives_back_its_position_exactly(kind: SearchType, position: Position) -> None:
    token = cursor.encode(kind, "ada", position)
    assert token is not None
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert cursor.decode(kind, "ada", token) == position


@pytest.mark.parametrize(("kind", "position"), POSITIONS)
def test_a_cursor_is_refused_by_the_other_types(kind: SearchType, position: Position) -> None:
    token = cursor.encode(kind, "ada", position)
    assert token is not None
    for other in ("users", "posts", "all"):
        if other != kind:
            with pytest.raises(MalformedCursor):
                cursor.decode(other, "ada", token)


@pytest.mark.parametrize(("kind", "position"), POSITIONS)
def test_a_cursor_is_refused_by_a_search_for_other_terms(kind: SearchType, position: Position) -> None:
    token = cursor.encode(kind, "ada", position)
    assert token is not None
    with pytest.raises(MalformedCursor):
        cursor.decode(kind, "bob", token)


def test_there_is_no_cursor_once_every_list_is_done() -> None:
    assert cursor.encode("all", "ada", Position(users=None, posts=None)) is None


def test_a_first_page_searches_only_the_lists_asked_for() -> None:
    assert Position.first("users").posts is None
    assert Position.first("posts").users is None
    everything = Position.first("all")
    assert everything.users is not None
    assert everything.posts == ""


@pytest.mark.parametrize(
    ("text", "pattern"),
    [("ada", "ada%"), ("ada_l", "ada\\_l%"), ("100%", "100\\%%"), ("a\\b", "a\\\\b%")],
)
def test_a_like_prefix_takes_wildcards_literally(text: str, pattern: str) -> None:
    assert like_prefix(text) == pattern
