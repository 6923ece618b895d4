"""The spool: views the gateway could not publish before it stopped, kept on disk until an instance
publishes them.

On SIGTERM the :class:`~gateway.view_events.ViewPublisher` writes the views still in memory (the broker
being unreachable) to one file here, and the next instance to start on the same directory publishes
them. Several instances may share the directory:

- **Unique, whole files.** Each spill is ``views-<ns>-<pid>-<uuid>.jsonl`` (one encoded
  :class:`PostViewed` a line), written under a hidden ``.partial`` name, fsynced, then renamed: readers
  see whole files only, and no two instances ever write the same name.
- **A claim is a lock.** An instance publishes a file only while it holds an exclusive ``flock`` on it,
  and deletes the file once the broker has acknowledged every view in it. The lock, rather than a
  rename-to-claim, marks the claim because the kernel drops it when its holder dies (kill -9
  included): a file whose publisher crashed is taken over by the next instance, while one a live
  instance is publishing is skipped. A renamed file cannot tell a dead claimer from a live one.
- **No second publication.** After taking the lock the claimer checks that the name still leads to the
  file it locked: a file another instance published and deleted meanwhile is not published again.

A claimer that dies mid-file leaves the whole file for the next one, which sends its first views
again: the stats consumer drops those duplicates by ``event_id``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import msgspec

from idl.flock.events.v1.events import PostViewed, decode, encode

log = logging.getLogger("flock.gateway.views")

_PATTERN = "views-*.jsonl"


class SpooledViews:
    """A spool file this instance holds the lock of, and the views it contains."""

    def __init__(self, path: Path, handle: BinaryIO, views: list[PostViewed]) -> None:
        self.path = path
        self.views = views
        self._handle = handle

    def done(self) -> None:
        """Every view was published: delete the file (still under the lock), then let go of it."""
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        """Let go of the file without deleting it: another instance (or the next start) takes it."""
        self._handle.close()  # closing the last descriptor drops the lock


class ViewSpool:
    """A directory of spilled views (created if missing, so a bad path fails at start-up, not on the
    shutdown that needs it)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory

    def spill(self, views: Sequence[PostViewed]) -> Path:
        """Write ``views`` durably to a new file of their own; return its path. Raises ``OSError`` if
        the disk refuses (then nothing is left behind under a name a reader would take)."""
        name = f"views-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex}.jsonl"
        partial = self.directory / f".{name}.partial"
        path = self.directory / name
        try:
            with partial.open("wb") as file:
                file.write(b"".join(encode(view) + b"\n" for view in views))
                file.flush()
                os.fsync(file.fileno())
            partial.rename(path)
        except OSError:
            partial.unlink(missing_ok=True)
            raise
        # The rename is durable once the directory is synced too.
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return path

    def claim(self) -> SpooledViews | None:
        """The oldest spool file no other instance holds, locked for this one; None when there is none."""
        for path in sorted(self.directory.glob(_PATTERN)):
            claimed = _claim(path)
            if claimed is not None:
                return claimed
        return None

    def pending(self) -> list[Path]:
        """The spool files waiting now (claimed or not), oldest first."""
        return sorted(self.directory.glob(_PATTERN))


def _claim(path: Path) -> SpooledViews | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:  # published and deleted by another instance since the listing
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Still the file under that name? If another instance deleted it after we opened it, the lock
        # we got is on a file that was already published.
        if os.stat(path).st_ino != os.fstat(handle.fileno()).st_ino:
            handle.close()
            return None
        views = _read(path, handle)
    except (BlockingIOError, FileNotFoundError):  # another instance holds it, or just deleted it
        handle.close()
        return None
    except BaseException:
        handle.close()
        raise
    return SpooledViews(path, handle, views)


def _read(path: Path, handle: BinaryIO) -> list[PostViewed]:
    views: list[PostViewed] = []
    for number, line in enumerate(handle, start=1):
        try:
            event = decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            log.warning("%s, line %d: not a view, skipped", path, number)
            continue
        if isinstance(event, PostViewed):
            views.append(event)
    return views
