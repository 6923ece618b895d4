"""PlantUML's jar, fetched from Maven Central once into .flock/cache/jars (``just diagram`` and the
diagram tests render architecture.puml with it): ``python -m scripts.plantuml`` prints its path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "1.2026.8"
JARS = Path(__file__).resolve().parent.parent / ".flock" / "cache" / "jars"


def jar_path() -> Path:
    return JARS / f"plantuml-{VERSION}.jar"


def fetch() -> Path:
    """The jar, downloaded with Maven if it is not there yet."""
    jar = jar_path()
    if jar.is_file():
        return jar
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("PlantUML is fetched with Maven (`mvn`), which is not on PATH")
    subprocess.run(
        [
            mvn,
            "-q",
            "dependency:copy",
            f"-Dartifact=net.sourceforge.plantuml:plantuml:{VERSION}",
            f"-DoutputDirectory={JARS}",
        ],
        check=True,
    )
    return jar


if __name__ == "__main__":
    print(fetch())
    sys.exit(0)
