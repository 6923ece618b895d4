"""Generate Python code and type stubs from every .proto under idl/ (``just gen``), or check that
the committed code is current (``--check``; CI runs it).

Output sits next to each .proto (``idl/flock/posts/v1/posts_pb2.py``), importable as
``idl.flock.posts.v1.posts_pb2``: protoc runs from the repository root, so generated imports are
rooted there too.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDL = ROOT / "idl"
SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def protos() -> list[Path]:
    return sorted(IDL.rglob("*.proto"))


def generate(out: Path) -> list[Path]:
    """Run protoc for every proto into ``out``; return the generated files, relative to ``out``."""
    bin_dir = Path(sys.executable).parent  # protoc-gen-mypy lives next to the interpreter
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        "-I",
        str(ROOT),
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *(str(proto.relative_to(ROOT)) for proto in protos()),
    ]
    subprocess.run(command, cwd=ROOT, check=True)
    return sorted(path.relative_to(out) for path in out.rglob("*") if path.name.endswith(SUFFIXES))


def _same(new: Path, old: Path) -> bool:
    return old.exists() and filecmp.cmp(new, old, shallow=False)


def committed() -> list[Path]:
    return sorted(path.relative_to(ROOT) for path in IDL.rglob("*") if path.name.endswith(SUFFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed code is stale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        generated = generate(out)
        if args.check:
            stale = [p for p in generated if not _same(out / p, ROOT / p)]
            stale += [p for p in committed() if p not in generated]
            if stale:
                names = "\n  ".join(map(str, stale))
                print(f"generated code is stale, run `just gen`:\n  {names}", file=sys.stderr)
                return 1
            print(f"generated code is current ({len(generated)} files).")
            return 0
        for path in committed():
            if path not in generated:
                (ROOT / path).unlink()
        for path in generated:
            (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / path, ROOT / path)
        for leaf in {(ROOT / p).parent for p in generated}:
            # Make every folder from idl/ down an importable package.
            for folder in [leaf, *leaf.parents]:
                if folder == ROOT:
                    break
                (folder / "__init__.py").touch()
        print(f"generated {len(generated)} files from {len(protos())} protos.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
