"""Static checks of the deploy files: compose.yaml, Dockerfile and .dockerignore.

No Docker engine is needed: the files are parsed and checked against the code they start (the gateway's
settings, its commands and its health route), so a rename in the code fails here, not in production.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import json
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import gateway.settings
from gateway.health import HealthController

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_REQUIRED = {"FLOCK_GATEWAY_DB_URL", "FLOCK_JWT_SECRET"}
DATABASE_IMAGES = ("postgres", "clickhouse", "redpanda", "docker.redpanda.com")
A_SECRET = "s" * 32

Service = dict[str, Any]


# ---- helpers ------------------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, Service]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _built_here(service: Service) -> bool:
    build = service.get("build")
    context = build.get("context", ".") if isinstance(build, dict) else build
    return context in {".", "./"}


def _long_running(service: Service) -> bool:
    return str(service.get("restart", "no")) != "no"


def _is_database(service: Service) -> bool:
    return str(service.get("image", "")).startswith(DATABASE_IMAGES)


def _environment(service: Service) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def _interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` (enough for these files)."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value = environ.get(name)
        unset = value is None or (value == "" and operator in {":-", ":?"})
        if operator in {":?", "?"} and unset:
            message = f"{name}: {argument}"
            raise LookupError(message)
        if operator in {":-", "-"} and unset:
            return argument
        return value or ""

    return _VARIABLE.sub(substitute, text)


def _resolved_environment(service: Service, environ: Mapping[str, str]) -> dict[str, str]:
    return {key: _interpolate(value, environ) for key, value in _environment(service).items()}


def _valid_gateway_variables() -> set[str]:
    return {gateway.settings.env_name(field) for field in gateway.settings.GatewaySettings.__struct_fields__}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, with line continuations joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(index for index, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def _dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _match_parts(parts: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[skip:], pattern[1:]) for skip in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match_parts(parts[1:], pattern[1:])


def _docker_ignores(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a folder covers its contents."""
    parts = path.split("/")
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern_parts = pattern.removeprefix("!").strip("/").split("/")
        if any(_match_parts(parts[:length], pattern_parts) for length in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def _python_minor_versions(text: str) -> Iterator[str]:
    yield from re.findall(r"python:(\d+\.\d+)", text)


# ---- compose.yaml -------------------------------------------------------------------------------------


def test_every_service_has_an_image_or_a_build() -> None:
    for name, service in _services().items():
        assert "image" in service or "build" in service, name


def test_services_built_from_the_dockerfile_share_one_image() -> None:
    images = {str(service.get("image")) for service in _services().values() if _built_here(service)}
    assert len(images) == 1, f"one image for every Python service, got {images}"


def test_services_built_here_run_python_modules_and_subcommands_that_exist() -> None:
    for name, service in _services().items():
        if not _built_here(service):
            continue
        command = service.get("command")
        assert isinstance(command, list), f"{name}: use the exec form (a list), so signals reach Python"
        assert command[:2] == ["python", "-m"], f"{name}: {command}"
        module, arguments = command[2], command[3:]
        assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{name}: no {module}/__main__.py"
        if arguments:
            entry = importlib.import_module(f"{module}.__main__")
            assert arguments[0] in entry.COMMANDS, f"{name}: {module} has no command {arguments[0]!r}"


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in _services().items():
        if _long_running(service):
            assert service.get("healthcheck", {}).get("test"), name


def test_one_shot_services_do_not_restart() -> None:
    one_shot = {name for name, service in _services().items() if not _long_running(service)}
    assert "gateway-migrate" in one_shot


def test_depends_on_names_existing_services_with_a_condition_they_can_meet() -> None:
    services = _services()
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert not _long_running(services[dependency]), f"{dependency} never completes"
            else:
                assert condition == "service_started", f"{name}: {condition}"


def test_gateway_waits_for_its_database_and_migrations() -> None:
    depends_on = _services()["gateway"]["depends_on"]
    assert depends_on["gateway-db"]["condition"] == "service_healthy"
    assert depends_on["gateway-migrate"]["condition"] == "service_completed_successfully"


def test_databases_publish_no_ports() -> None:
    databases = {name: service for name, service in _services().items() if _is_database(service)}
    assert "gateway-db" in databases
    for name, service in databases.items():
        assert not service.get("ports"), name


def test_only_the_gateway_publishes_a_port() -> None:
    publishing = {name for name, service in _services().items() if service.get("ports")}
    assert publishing == {"gateway"}


def test_gateway_port_is_bound_to_an_address_variable_defaulting_to_loopback() -> None:
    gateway_service = _services()["gateway"]
    (port,) = gateway_service["ports"]
    assert isinstance(port, str)
    assert port.startswith("${"), f"the host address must be a variable: {port!r}"
    host_ip, host_port, container_port = _interpolate(port, {}).split(":")
    assert host_ip == "127.0.0.1"
    assert host_port.isdigit()
    assert (
        container_port
        == _resolved_environment(gateway_service, {"FLOCK_JWT_SECRET": A_SECRET})["FLOCK_GATEWAY_PORT"]
    )


def test_only_the_gateway_is_on_the_edge_network_and_all_services_on_the_internal_one() -> None:
    compose = _compose()
    assert compose["networks"]["internal"]["internal"] is True
    for name, service in _services().items():
        networks = service.get("networks")
        assert networks, f"{name}: no networks means the default network, which is not internal"
        assert "internal" in networks, name
        assert ("edge" in networks) == (name == "gateway"), name


def test_named_volumes_are_declared() -> None:
    compose = _compose()
    declared = set(compose.get("volumes") or {})
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_gateway_variables_are_real_gateway_settings() -> None:
    given = set(_environment(_services()["gateway"]))
    unknown = {name for name in given if name.startswith("FLOCK_")} - _valid_gateway_variables()
    assert not unknown, f"the gateway reads no such settings: {sorted(unknown)}"
    assert given >= GATEWAY_REQUIRED


def test_migrate_variables_are_real_database_settings() -> None:
    given = set(_environment(_services()["gateway-migrate"]))
    valid = {
        gateway.settings.env_name(field) for field in gateway.settings.DatabaseSettings.__struct_fields__
    }
    assert given <= valid
    assert "FLOCK_GATEWAY_DB_URL" in given


def test_gateway_environment_loads_into_valid_settings_listening_on_all_interfaces() -> None:
    environ = _resolved_environment(_services()["gateway"], {"FLOCK_JWT_SECRET": A_SECRET})
    settings = gateway.settings.load_settings(environ)
    assert settings.host == "0.0.0.0"
    assert settings.forwarded_allow_ips != "*"
    assert settings.db_url.startswith("postgresql://flock:")
    assert "@gateway-db:5432/gateway" in settings.db_url


def test_gateway_refuses_to_start_without_a_jwt_secret() -> None:
    with pytest.raises(LookupError, match="FLOCK_JWT_SECRET"):
        _resolved_environment(_services()["gateway"], {})


def test_gateway_and_migrations_use_the_same_database_as_the_database_container() -> None:
    services = _services()
    environ = {"FLOCK_JWT_SECRET": A_SECRET, "FLOCK_GATEWAY_DB_PASSWORD": "p4ss"}
    database = _resolved_environment(services["gateway-db"], environ)
    expected = (
        f"postgresql://{database['POSTGRES_USER']}:{database['POSTGRES_PASSWORD']}"
        f"@gateway-db:5432/{database['POSTGRES_DB']}"
    )
    for name in ("gateway", "gateway-migrate"):
        assert _resolved_environment(services[name], environ)["FLOCK_GATEWAY_DB_URL"] == expected, name


def test_gateway_healthcheck_probes_the_readiness_route_on_its_port() -> None:
    gateway_service = _services()["gateway"]
    test = gateway_service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "the slim image has no curl; probe with python"
    (url,) = re.findall(r"http://[^'\"]+", test[3])
    ready_paths = {HealthController.path + path for path in HealthController.ready.paths}
    port = _resolved_environment(gateway_service, {"FLOCK_JWT_SECRET": A_SECRET})["FLOCK_GATEWAY_PORT"]
    assert url in {f"http://127.0.0.1:{port}{path}" for path in ready_paths}


def test_database_healthcheck_asks_for_its_own_user_and_database() -> None:
    database = _services()["gateway-db"]
    env = _environment(database)
    assert database["healthcheck"]["test"] == [
        "CMD", "pg_isready", "-U", env["POSTGRES_USER"], "-d", env["POSTGRES_DB"],
    ]  # fmt: skip


# ---- Dockerfile ---------------------------------------------------------------------------------------


def test_dockerfile_stages_are_based_on_python_3_11() -> None:
    bases = [arguments.split()[0] for name, arguments in _dockerfile_instructions() if name == "FROM"]
    assert bases
    assert all(base.startswith("python:3.11") for base in bases), bases


def test_dockerfile_python_matches_requires_python() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    allowed = SpecifierSet(pyproject["project"]["requires-python"])
    minors = set(_python_minor_versions((ROOT / "Dockerfile").read_text()))
    assert minors, "no python:X.Y base image"
    for minor in minors:
        # A X.Y tag floats across patch releases, so every patch release must be allowed.
        assert Version(f"{minor}.0") in allowed, (minor, str(allowed))
        assert Version(f"{minor}.99") in allowed, (minor, str(allowed))


def test_dockerfile_installs_locked_dependencies_before_copying_code() -> None:
    instructions = _dockerfile_instructions()
    runs = [index for index, (name, arguments) in enumerate(instructions) if name == "RUN"]
    sync = next(index for index in runs if "uv sync" in instructions[index][1])
    assert "--frozen" in instructions[sync][1]
    assert "--no-dev" in instructions[sync][1]
    copies_before = [arguments for name, arguments in instructions[:sync] if name == "COPY"]
    assert copies_before == ["pyproject.toml uv.lock ./"], "only the lock files may come before uv sync"


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [arguments.strip() for name, arguments in _final_stage() if name == "USER"]
    assert users, "the final stage sets no USER, so it runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_default_command_is_the_gateway() -> None:
    commands = [arguments for name, arguments in _final_stage() if name == "CMD"]
    assert commands, "no CMD in the final stage"
    assert json.loads(commands[-1]) == ["python", "-m", "gateway"]


def test_dockerfile_puts_the_virtualenv_first_on_the_path() -> None:
    env = " ".join(arguments for name, arguments in _final_stage() if name == "ENV")
    assert "PATH=/app/.venv/bin:$PATH" in env
    assert "PYTHONUNBUFFERED=1" in env


def test_build_context_holds_the_code_but_no_local_state() -> None:
    patterns = _dockerignore_patterns()
    for kept in ("pyproject.toml", "uv.lock", "gateway/__main__.py", "posts/x.py", "stats/x.py", "idl/x.py"):
        assert not _docker_ignores(kept, patterns), kept
    for dropped in (
        ".venv/bin/python",
        ".flock/cache/jars/plantuml.jar",
        ".git/config",
        "gateway/__pycache__/app.cpython-311.pyc",
        ".pytest_cache/v/x",
        "tests/test_deploy_files.py",
        ".env",
    ):
        assert _docker_ignores(dropped, patterns), dropped
