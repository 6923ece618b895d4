"""compose.yaml passes the real Docker Compose CLI's own validation (`docker compose config`, which
needs no engine): interpolation, the schema, depends_on, volumes, profiles. The CLI is built once
from its Go module (scripts/compose_cli.py) and cached under ~/.cache/flock/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scripts import compose_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> Path:
    return compose_cli.fetch()


def _config(compose: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(compose), "-f", str(ROOT / "compose.yaml"), "config", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **env},
        timeout=120,
        check=False,
    )


@pytest.mark.system
def test_compose_file_is_valid_for_docker_compose(compose: Path) -> None:
    result = _config(compose, {"FLOCK_JWT_SECRET": "x" * 40}, "-q")
    assert result.returncode == 0, result.stderr


@pytest.mark.system
def test_compose_refuses_to_start_without_a_jwt_secret(compose: Path) -> None:
    result = _config(compose, {}, "-q")
    assert result.returncode != 0
    assert "FLOCK_JWT_SECRET" in result.stderr


@pytest.mark.system
def test_the_gateway_keeps_its_view_spool_on_a_volume(compose: Path) -> None:
    result = _config(compose, {"FLOCK_JWT_SECRET": "x" * 40}, "--format", "json")
    assert result.returncode == 0, result.stderr
    gateway = json.loads(result.stdout)["services"]["gateway"]
    spool = gateway["environment"]["FLOCK_GATEWAY_VIEW_SPOOL_DIR"]
    assert any(volume["target"] == spool and volume["type"] == "volume" for volume in gateway["volumes"])
