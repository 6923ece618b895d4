"""Checking keyset pages: paging through a whole list, while items keep arriving."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def meanwhile(action: Callable[[], object]) -> Iterator[None]:
    """Repeat ``action`` in another thread for the duration of the block (at least twice)."""
    done = threading.Event()
    count = 0

    def loop() -> None:
        nonlocal count
        while not done.is_set() or count < 2:
            action()
            count += 1

    worker = threading.Thread(target=loop)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join(timeout=30)


def page_through(fetch: Callable[[str], tuple[list[str], str]]) -> list[str]:
    """Every id of a list, page after page, until the next-page token comes back empty."""
    ids, token = fetch("")
    pages = 1
    while token:
        more, token = fetch(token)
        ids += more
        pages += 1
        assert pages < 100, "the pages never end"
    return ids


def assert_stable(listed: list[str], existing: list[str], *, newest_first: bool) -> None:
    """Every item that existed before the paging began, once, in order; items that arrived meanwhile
    only where they sort (newest first: ahead of them all; oldest first: after them all)."""
    assert len(listed) == len(set(listed)), "an item was repeated"
    arrived = len(listed) - len(existing)
    if newest_first:
        assert listed[arrived:] == existing[::-1]
    else:
        assert listed[: len(existing)] == existing
    assert len(set(listed) - set(existing)) == arrived
