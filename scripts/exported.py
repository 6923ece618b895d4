"""The committed exports (``openapi/openapi.yaml``, ``openapi/asyncapi.yaml``): write them, or check
that they are current. One command-line shape for every export script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(path: Path, render: Callable[[], str], recipe: str, description: str | None) -> int:
    """``--check``: exit 1 if ``path`` differs from ``render()``; otherwise write it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args()
    text = render()
    name = path.relative_to(ROOT)
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{name} is stale: run `just {recipe}`.", file=sys.stderr)
            return 1
        print(f"{name} is current.")
        return 0
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(f"wrote {name}")
    return 0
