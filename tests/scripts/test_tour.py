"""The API tour runs as written against a fresh ``just up``: the README's blocks, then docs/api.md's, in
one bash session, and each block prints what its documented output shows, status codes first.

The tour is every ``sh`` block of those files, in order (other shell examples are ``bash`` blocks); a
block's documented output is the ``text`` or ``json`` block right after it. Run against the real
runner (``python -m scripts.devstack up``, its ports moved by ``FLOCK_LOCAL_PORT_BASE``) on fresh
databases, a fresh broker and a fresh ClickHouse, as a newcomer would. What is compared is what stays
the same from run to run: the status codes shown (``HTTP/1.1 201`` lines, the bare codes ``-w
'%{http_code}'`` prints, the ``status`` of problem bodies) and the number of lines; ids, times and
counts that depend on timing are not, nor are the response headers ``curl -i`` prints. Every
response a block does not show must be a success.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import devstack
from tests.conftest import FAST_ARGON2, Postgres

TOUR_FILES = (devstack.ROOT / "README.md", devstack.ROOT / "docs" / "api.md")
FENCE = re.compile(r"^```(\w*)\s*$")
ROOT_LINE = re.compile(r"^ROOT=\S+", re.MULTILINE)
STATUS_LINE = re.compile(r"^HTTP/[\d.]+ (\d{3})\b")
BARE_STATUS = re.compile(r"^([1-5]\d\d)$")
PROBLEM = re.compile(r'^\{"type":"/problems/[^"]*".*?"status":(\d{3})')
COMMENTED_STATUS = re.compile(r"#\s*([1-5]\d\d)\b")
HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: ")


@dataclasses.dataclass(frozen=True)
class Block:
    """One block of the tour: where it is, its commands, and the output shown under it (if any)."""

    where: str
    code: str
    shown: str | None


def tour_blocks(path: Path) -> list[Block]:
    """The ``sh`` blocks of ``path``, each with the ``text``/``json`` block right after it."""
    lines = path.read_text().splitlines()
    fences: list[tuple[str, int, int]] = []  # language, first line of the body, line of the closing fence
    index = 0
    while index < len(lines):
        if (match := FENCE.match(lines[index])) is not None:
            end = next(n for n in range(index + 1, len(lines)) if lines[n].startswith("```"))
            fences.append((match.group(1), index + 1, end))
            index = end
        index += 1
    blocks = []
    for number, (language, first, end) in enumerate(fences):
        if language != "sh":
            continue
        shown = None
        if number + 1 < len(fences):
            following, body, closing = fences[number + 1]
            between = lines[end + 1 : body - 1]
            if following in {"text", "json"} and not any(line.strip() for line in between):
                shown = "\n".join(lines[body:closing])
        blocks.append(Block(f"{path.name}:{first}", "\n".join(lines[first:end]), shown))
    return blocks


def statuses(output: str) -> list[int]:
    """The status codes an output shows, in order."""
    found = []
    for line in output.splitlines():
        for pattern in (STATUS_LINE, BARE_STATUS, PROBLEM):
            if (match := pattern.match(line.strip())) is not None:
                found.append(int(match.group(1)))
                break
    return found


def content_lines(output: str) -> list[str]:
    """The lines of an output without the response headers ``curl -i`` prints (a header added to a
    response does not make the tour wrong; the status line stays)."""
    kept, in_headers = [], False
    for line in output.splitlines():
        if in_headers and (HEADER.match(line) or not line):
            in_headers = bool(line)
            continue
        in_headers = STATUS_LINE.match(line) is not None
        kept.append(line)
    return kept


def commented_statuses(code: str) -> list[int]:
    """The codes the commands' trailing comments promise for what ``-w '%{http_code}'`` prints."""
    commands = code.replace("\\\n", " ").splitlines()
    return [
        int(match.group(1))
        for command in commands
        if "%{http_code}" in command and (match := COMMENTED_STATUS.search(command)) is not None
    ]


@dataclasses.dataclass(frozen=True)
class Ran:
    """What one block printed, and the status of every response it got."""

    block: Block
    out: str
    err: str
    answered: list[int]


def run_tour(blocks: list[Block], root_url: str, folder: Path) -> list[Ran]:
    """Run ``blocks`` in one bash session against the gateway at ``root_url``; each block's output goes
    to files of its own, and every curl also dumps its response's headers (to read its status)."""
    setup = blocks[0].code
    assert len(ROOT_LINE.findall(setup)) == 1, f"{blocks[0].where}: the tour starts with a ROOT= line"
    script = ['curl() { command curl -D "$(mktemp -p "$TOUR_HEADERS")" "$@"; }']
    for number, block in enumerate(blocks):
        code = ROOT_LINE.sub(f"ROOT={root_url}", block.code) if number == 0 else block.code
        script += [
            f'TOUR_HEADERS="{folder}/{number}.headers"; mkdir -p "$TOUR_HEADERS"',
            "{",
            code,
            f'}} >"{folder}/{number}.out" 2>"{folder}/{number}.err"',
        ]
    (folder / "tour.sh").write_text("\n".join(script) + "\n")
    subprocess.run(["bash", str(folder / "tour.sh")], cwd=folder, check=True, timeout=180)
    ran = []
    for number, block in enumerate(blocks):
        answered = []
        for headers in sorted((folder / f"{number}.headers").iterdir()):
            # The last status line: a response may follow an interim one (100 Continue).
            answered += statuses(headers.read_text().replace("\r", ""))[-1:]
        out, err = ((folder / f"{number}.{kind}").read_text() for kind in ("out", "err"))
        ran.append(Ran(block, out, err, answered))
    return ran


def differences(ran: Ran) -> list[str]:
    """How what a block printed differs from what is documented under it."""
    block, printed = ran.block, ran.out.rstrip("\n")
    shown = block.shown or ""
    found = []
    if ran.err:
        found.append(f"wrote to stderr: {ran.err.strip()}")
    if printed and block.shown is None:
        found.append("prints output that is not shown under it")
    elif len(content_lines(printed)) != len(content_lines(shown)):
        found.append(f"prints {len(content_lines(printed))} lines, shows {len(content_lines(shown))}")
    if statuses(printed) != statuses(shown):
        found.append(f"printed the statuses {statuses(printed)}, shows {statuses(shown)}")
    bare = [int(line) for line in printed.splitlines() if BARE_STATUS.match(line)]
    if (promised := commented_statuses(block.code)) and promised != bare:
        found.append(f"its comments promise {promised}, it printed {bare}")
    unshown = collections.Counter(code for code in ran.answered if code >= 300)
    unshown -= collections.Counter(statuses(printed))
    if unshown:
        found.append(f"got {sorted(unshown.elements())} without showing them")
    return [f"{block.where}: {difference}" for difference in found]


# ---- a fresh system, as `just up` starts it ---------------------------------------------------------


def free_port_base(count: int = len(devstack.PORTS)) -> int:
    """A port with the next ``count - 1`` ports free too: one FLOCK_LOCAL_PORT_BASE for a whole copy."""
    for _ in range(50):
        base = devstack.free_port()
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count} free ports in a row")


@pytest.fixture
def fresh_system(postgres: Postgres) -> Iterator[str]:
    """``just up`` on fresh databases and a data folder of its own, its ports moved together; yields
    the gateway's URL the runner recorded."""
    data_dir = Path(tempfile.mkdtemp(prefix="flock-tour-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOCK_")}
    env.update(
        FAST_ARGON2,
        FLOCK_LOCAL_PORT_BASE=str(free_port_base()),
        FLOCK_GATEWAY_DB_URL=postgres.create_database("gateway"),
        FLOCK_POSTS_DB_URL=postgres.create_database("posts"),
        FLOCK_LOG_LEVEL="warning",
    )
    log = data_dir / "runner.log"
    with log.open("w") as output:
        runner = subprocess.Popen(
            [sys.executable, "-m", "scripts.devstack", "up", "--data-dir", str(data_dir)],
            cwd=devstack.ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while (system := devstack.running_system(data_dir)) is None:
            assert runner.poll() is None, f"just up exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"just up was not up in time:\n{log.read_text()}"
            time.sleep(0.2)
        yield system.gateway_url
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(60)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.e2e
def test_the_tour_prints_what_it_documents_against_a_fresh_system(fresh_system: str, tmp_path: Path) -> None:
    blocks = [block for path in TOUR_FILES for block in tour_blocks(path)]
    assert len(blocks) > 20
    ran = run_tour(blocks, fresh_system, tmp_path)
    found = [difference for one in ran for difference in differences(one)]
    assert not found, "\n".join(found)


def test_every_http_code_comment_of_the_tour_matches_the_output_shown_under_it() -> None:
    blocks = [block for path in TOUR_FILES for block in tour_blocks(path)]
    for block in blocks:
        shown = [int(line) for line in (block.shown or "").splitlines() if BARE_STATUS.match(line)]
        assert commented_statuses(block.code) in ([], shown), block.where


def test_the_tour_starts_at_a_root_that_names_other_ports_and_keeps_problems_there() -> None:
    setup = tour_blocks(TOUR_FILES[0])[0]
    assert ROOT_LINE.search(setup.code) is not None
    assert "just up` printed" in setup.code  # a hint for a copy on other ports
    api = TOUR_FILES[1].read_text()
    assert "curl -sS -w '\\n' $ROOT/problems/forbidden" in api
    assert re.search(r"\$API/problems\s+# 404", api)
