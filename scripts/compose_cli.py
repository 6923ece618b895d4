"""The real Docker Compose CLI, built once from its Go module into the user's cache (there is no
Docker engine here, but `docker compose config` validates a file without one: interpolation, the
schema, depends_on, profiles). ``python -m scripts.compose_cli`` prints the binary's path.

``go install`` refuses the module (it has replace directives), so: download the module, copy it
somewhere writable, ``go build ./cmd`` there. About two minutes on two cores, once per machine: the
binary is kept under ``~/.cache/flock/``, which a fresh clone (and CI) finds again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODULE = "github.com/docker/compose/v5"
VERSION = "v5.6.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "flock"


def binary_path() -> Path:
    return CACHE / f"docker-compose-{VERSION}"


def fetch() -> Path:
    """The compose binary, built if it is not there yet (needs Go and the module proxy)."""
    binary = binary_path()
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("the Docker Compose CLI is built with Go, which is not on PATH")
    described = subprocess.run(
        [go, "mod", "download", "-json", f"{MODULE}@{VERSION}"], capture_output=True, text=True, check=True
    )
    source = Path(json.loads(described.stdout)["Dir"])
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flock-compose-") as scratch:
        work = Path(scratch) / "src"
        shutil.copytree(source, work)
        for path in work.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
        partial = binary.with_suffix(".partial")
        subprocess.run([go, "build", "-o", str(partial), "./cmd"], cwd=work, check=True)
        partial.replace(binary)
    return binary


if __name__ == "__main__":
    print(fetch())
    sys.exit(0)
