"""Kafka's server jars, fetched from Maven Central with ``mvn`` into ``.flock/cache``, and the Java that
runs them."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
POM = HERE / "pom.xml"
LOG4J_CONFIG = HERE / "log4j2.properties"
CACHE = ROOT / ".flock" / "cache" / "kafka"
_MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def kafka_version() -> str:
    """The Kafka version ``pom.xml`` asks for."""
    version = ET.parse(POM).getroot().findtext("m:properties/m:kafka.version", namespaces=_MAVEN_NS)  # noqa: S314 - our own file
    if not version:
        raise RuntimeError(f"{POM} sets no kafka.version property")
    return version.strip()


def libs_dir() -> Path:
    """The folder of the jars of :func:`kafka_version`."""
    return CACHE / kafka_version() / "libs"


def _pom_digest() -> str:
    # The marker holds the pom's digest, so editing the pom (another dependency) fetches again.
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _fetched(libs: Path) -> bool:
    marker = libs / ".fetched"
    return marker.is_file() and marker.read_text() == _pom_digest()


def fetch(*, quiet: bool = True) -> Path:
    """Download the server jars unless they are already cached; return the folder holding them."""
    libs = libs_dir()
    if _fetched(libs):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Kafka's jars are fetched with Maven: install it (apt-get install maven)")
    libs.parent.mkdir(parents=True, exist_ok=True)
    # Into a fresh folder first, then renamed: an interrupted or concurrent fetch never leaves half a set.
    partial = Path(tempfile.mkdtemp(prefix="libs.", dir=libs.parent))
    command = [mvn, *(["-q"] if quiet else []), "-B", "-Dstyle.color=never", "-f", str(POM)]
    command += ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={partial}"]
    try:
        result = subprocess.run(command, cwd=POM.parent, capture_output=quiet, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"mvn could not fetch Kafka {kafka_version()}:\n{result.stdout}{result.stderr}"
            )
        (partial / ".fetched").write_text(_pom_digest())
        if not _fetched(libs):  # else another fetch got there first: its jars are as good
            shutil.rmtree(libs, ignore_errors=True)
            with contextlib.suppress(OSError):
                partial.rename(libs)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return libs


def java() -> str:
    """The ``java`` of ``JAVA_HOME``, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found or not Path(found).exists():
        raise RuntimeError(
            "Kafka needs Java 17 or later: install it (apt-get install openjdk-17-jre-headless)"
        )
    return found


def archive_name() -> str:
    """The name of the class-data archive made by this Java (another Java refuses it)."""
    binary = Path(java()).resolve()
    identity = f"{binary}:{binary.stat().st_mtime_ns}"
    return f"kafka-{hashlib.sha256(identity.encode()).hexdigest()[:12]}.jsa"
