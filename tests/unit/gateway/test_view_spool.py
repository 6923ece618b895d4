"""The view spool on its own: whole files, one claimer at a time, a dead claimer's file taken over, and
a file published by one instance never published again by another."""

from __future__ import annotations

import datetime
import subprocess
import sys
import uuid
from pathlib import Path

from gateway.view_spool import ViewSpool
from idl.flock.events.v1.events import PostViewed


def views(count: int) -> list[PostViewed]:
    post = uuid.uuid4()
    return [
        PostViewed(
            event_id=uuid.uuid4(),
            occurred_at=datetime.datetime.now(tz=datetime.UTC),
            post_id=post,
            post_author_id=uuid.uuid4(),
            actor_id=None,
            viewer_key=f"anon:{n}",
        )
        for n in range(count)
    ]


def test_spilled_views_come_back_whole_and_the_file_goes_once_done(tmp_path: Path) -> None:
    spool = ViewSpool(tmp_path / "spool")
    kept = views(3)
    path = spool.spill(kept)
    assert path.parent == tmp_path / "spool"
    assert not list((tmp_path / "spool").glob(".*.partial"))
    claimed = spool.claim()
    assert claimed is not None
    assert claimed.views == kept
    claimed.done()
    assert spool.pending() == []
    assert spool.claim() is None


def test_two_instances_on_one_directory_never_hold_the_same_file(tmp_path: Path) -> None:
    first, second = ViewSpool(tmp_path), ViewSpool(tmp_path)  # flock: per open file, as two processes
    first.spill(views(2))
    held = first.claim()
    assert held is not None
    assert second.claim() is None  # held by the first
    held.done()
    assert second.claim() is None  # published and deleted: nothing to publish again


def test_each_spill_gets_a_name_of_its_own_and_the_oldest_is_claimed_first(tmp_path: Path) -> None:
    spool = ViewSpool(tmp_path)
    older, newer = views(1), views(1)
    paths = [spool.spill(older), spool.spill(newer)]
    assert len(set(paths)) == 2
    first = spool.claim()
    second = spool.claim()
    assert first is not None
    assert second is not None
    assert (first.views, second.views) == (older, newer)
    first.release()
    second.release()


def test_a_file_whose_claimer_let_go_without_finishing_is_taken_by_the_next(tmp_path: Path) -> None:
    spool = ViewSpool(tmp_path)
    kept = views(4)
    spool.spill(kept)
    held = spool.claim()
    assert held is not None
    held.release()  # what the kernel does for a claimer killed with -9
    again = ViewSpool(tmp_path).claim()
    assert again is not None
    assert again.views == kept
    again.release()


def test_a_claimer_killed_with_sigkill_leaves_its_file_to_the_next(tmp_path: Path) -> None:
    spool = ViewSpool(tmp_path)
    kept = views(2)
    spool.spill(kept)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from gateway.view_spool import ViewSpool;"
            f" held = ViewSpool(Path({str(tmp_path)!r})).claim(); assert held is not None;"
            " print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert spool.claim() is None  # a live instance holds it
    finally:
        holder.kill()
        holder.communicate()
    taken = spool.claim()
    assert taken is not None
    assert taken.views == kept
    taken.done()


def test_lines_that_are_not_views_are_skipped_and_partial_files_ignored(tmp_path: Path) -> None:
    spool = ViewSpool(tmp_path)
    kept = views(2)
    path = spool.spill(kept)
    with path.open("ab") as file:
        file.write(b"{not json\n")
    (tmp_path / ".views-1-2-3.jsonl.partial").write_bytes(b"half a fi")
    claimed = spool.claim()
    assert claimed is not None
    assert claimed.views == kept
    claimed.done()
    assert spool.claim() is None
