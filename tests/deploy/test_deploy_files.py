"""Static checks of the deploy files: compose.yaml, Dockerfile and .dockerignore.

No Docker engine is needed: the files are parsed and checked against the code they start (each
service's settings, its commands and its health checks), so a rename in the code fails here, not in
production.
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
import importlib
import importlib.util
import json
import re
import socket
import subprocess
import sys
import tomllib
from concurrent import futures
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import gateway.settings
import stats.settings
from gateway.health import HealthController

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[2]
# Images of the servers that hold state (databases, the broker): never published, data in a volume.
DATABASE_IMAGES = (
    "postgres:",
    "clickhouse/clickhouse-server:",
    "redpandadata/redpanda:",
    "docker.redpanda.com/redpandadata/redpanda:",
)
# Where each kind of server keeps its data inside its container.
DATA_DIRECTORIES = {
    "postgres:": "/var/lib/postgresql/data",
    "clickhouse/clickhouse-server:": "/var/lib/clickhouse",
    "redpandadata/redpanda:": "/var/lib/redpanda/data",
}
A_SECRET = "s" * 32
# What compose needs from the environment to resolve every service (the rest have defaults).
ENVIRON = {"FLOCK_JWT_SECRET": A_SECRET}
# The stats service's processes in compose.yaml, and the `python -m stats` command each runs.
STATS_COMMANDS = {"stats-setup": "setup", "stats-consumer": "consume", "stats": "serve"}
# Opt-in services (compose profiles) that may publish a port, on loopback only, and the profile.
OPT_IN_PUBLISHERS = {"redpanda-console": "debug"}
# Web UIs without a login of their own that run by default, published on the host's loopback only.
LOOPBACK_PUBLISHERS = {"mailpit"}

Service = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class PythonService:
    """A Python service in compose.yaml: ``<name>`` runs ``python -m <name>``, ``<name>-migrate`` applies
    its migrations to ``<name>-db``."""

    name: str
    settings_module: str  # exposes env_names(): every variable the service reads
    required: frozenset[str]  # variables it cannot start without
    db_url_variable: str

    @property
    def database(self) -> str:
        return f"{self.name}-db"

    @property
    def migrate(self) -> str:
        return f"{self.name}-migrate"

    def settings(self) -> Any:
        """Its settings module: ``env_names()``, ``load_settings()``, ``load_database_settings()``."""
        # Imported here, not at the top, so a service whose code is broken fails its own tests only.
        return importlib.import_module(self.settings_module)

    def env_names(self) -> frozenset[str]:
        return frozenset(self.settings().env_names())


PYTHON_SERVICES = (
    PythonService(
        name="gateway",
        settings_module="gateway.settings",
        required=frozenset({"FLOCK_GATEWAY_DB_URL", "FLOCK_JWT_SECRET"}),
        db_url_variable="FLOCK_GATEWAY_DB_URL",
    ),
    PythonService(
        name="posts",
        settings_module="posts.settings",
        required=frozenset({"FLOCK_POSTS_DB_URL"}),
        db_url_variable="FLOCK_POSTS_DB_URL",
    ),
)
each_python_service = pytest.mark.parametrize("spec", PYTHON_SERVICES, ids=lambda spec: spec.name)


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


def _data_directory(service: Service) -> str:
    image = str(service["image"]).removeprefix("docker.redpanda.com/")
    return next(path for prefix, path in DATA_DIRECTORIES.items() if image.startswith(prefix))


def _settings_module(service: Service) -> Any:
    """The settings module of the Python package a service built here runs (``python -m <package>``)."""
    return importlib.import_module(f"{service['command'][2]}.settings")


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---- compose.yaml: every service ----------------------------------------------------------------------


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


def test_databases_and_the_broker_publish_no_ports() -> None:
    databases = {name: service for name, service in _services().items() if _is_database(service)}
    assert set(databases) >= {spec.database for spec in PYTHON_SERVICES} | {"clickhouse", "redpanda"}
    for name, service in databases.items():
        assert not service.get("ports"), name


def test_only_the_gateway_publishes_a_port_unless_an_opt_in_profile_is_chosen() -> None:
    services = _services()
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing - set(OPT_IN_PUBLISHERS) - LOOPBACK_PUBLISHERS == {"gateway"}
    for name, profile in OPT_IN_PUBLISHERS.items():
        assert services[name]["profiles"] == [profile], f"{name} must not start without --profile {profile}"


def test_opt_in_ports_are_bound_to_an_address_variable_defaulting_to_loopback() -> None:
    for name in [*OPT_IN_PUBLISHERS, *LOOPBACK_PUBLISHERS]:
        for port in _services()[name].get("ports", []):
            assert isinstance(port, str)
            assert port.startswith("${"), f"{name}: the host address must be a variable: {port!r}"
            host_ip, host_port, _ = _interpolate(port, {}).split(":")
            assert host_ip == "127.0.0.1", name
            assert host_port.isdigit(), name


def test_only_the_gateway_is_on_the_edge_network_and_every_other_service_on_the_internal_one_only() -> None:
    compose = _compose()
    assert compose["networks"]["internal"]["internal"] is True
    members: dict[str, set[str]] = {}
    for name, service in _services().items():
        networks = service.get("networks")
        assert networks, f"{name}: no networks means the default network, which is not internal"
        for network in networks:
            members.setdefault(network, set()).add(name)
        if name == "gateway":
            assert sorted(networks) == ["edge", "internal"]
        elif name in OPT_IN_PUBLISHERS or name in LOOPBACK_PUBLISHERS:
            # A published port needs a network that is not internal: one of its own, shared with nobody.
            (own,) = set(networks) - {"internal"}
            assert compose["networks"][own].get("internal") is not True, name
        else:
            assert networks == ["internal"], name
    for network, names in members.items():
        if network != "internal":
            assert len(names) == 1, f"only one service may sit on {network}, not {sorted(names)}"


def test_named_volumes_are_declared() -> None:
    compose = _compose()
    declared = set(compose.get("volumes") or {})
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_each_database_keeps_its_data_in_a_volume_of_its_own() -> None:
    owners: dict[str, str] = {}
    databases = {name: service for name, service in _services().items() if _is_database(service)}
    for name, service in databases.items():
        (volume,) = service["volumes"]
        source, target = volume.split(":")[:2]
        assert target == _data_directory(service), name
        assert not source.startswith((".", "/", "~")), f"{name}: a named volume, not a host folder"
        assert source not in owners, f"{name} shares {source} with {owners.get(source)}"
        owners[source] = name


def test_every_flock_variable_given_to_a_python_service_is_a_setting_of_its_package() -> None:
    for name, service in _services().items():
        if not _built_here(service):
            continue
        given = {variable for variable in _environment(service) if variable.startswith("FLOCK_")}
        unknown = given - frozenset(_settings_module(service).env_names())
        assert not unknown, f"{name} reads no such settings: {sorted(unknown)}"


# ---- compose.yaml: each Python service, its migrations and its database -------------------------------


@each_python_service
def test_service_and_its_migrations_run_the_services_commands(spec: PythonService) -> None:
    services = _services()
    assert services[spec.name]["command"] == ["python", "-m", spec.name]
    assert services[spec.migrate]["command"] == ["python", "-m", spec.name, "migrate"]
    assert not _long_running(services[spec.migrate]), f"{spec.migrate} is one-shot: restart must be 'no'"


@each_python_service
def test_service_waits_for_its_database_and_migrations(spec: PythonService) -> None:
    services = _services()
    assert services[spec.migrate]["depends_on"][spec.database]["condition"] == "service_healthy"
    depends_on = services[spec.name]["depends_on"]
    assert depends_on[spec.database]["condition"] == "service_healthy"
    assert depends_on[spec.migrate]["condition"] == "service_completed_successfully"


@each_python_service
def test_service_variables_are_real_settings_of_the_service(spec: PythonService) -> None:
    given = set(_environment(_services()[spec.name]))
    unknown = {name for name in given if name.startswith("FLOCK_")} - spec.env_names()
    assert not unknown, f"{spec.name} reads no such settings: {sorted(unknown)}"
    assert given >= spec.required


@each_python_service
def test_migrate_variables_are_real_settings_of_the_service(spec: PythonService) -> None:
    given = set(_environment(_services()[spec.migrate]))
    assert given <= spec.env_names(), sorted(given - spec.env_names())
    assert spec.db_url_variable in given


@each_python_service
def test_service_environment_loads_into_valid_settings_listening_on_all_interfaces(
    spec: PythonService,
) -> None:
    services = _services()
    settings = spec.settings().load_settings(_resolved_environment(services[spec.name], ENVIRON))
    assert settings.host == "0.0.0.0"
    assert settings.db_url.startswith("postgresql://flock:")
    assert f"@{spec.database}:5432/{spec.name}" in settings.db_url
    migrate = spec.settings().load_database_settings(_resolved_environment(services[spec.migrate], ENVIRON))
    assert migrate.db_url == settings.db_url


@each_python_service
def test_service_and_migrations_use_the_credentials_of_their_database_container(spec: PythonService) -> None:
    services = _services()
    # A different password per database, so a URL pointing at the wrong one cannot pass.
    passwords = {f"FLOCK_{other.name.upper()}_DB_PASSWORD": f"p4ss-{other.name}" for other in PYTHON_SERVICES}
    environ = {**ENVIRON, **passwords}
    database = _resolved_environment(services[spec.database], environ)
    expected = (
        f"postgresql://{database['POSTGRES_USER']}:{database['POSTGRES_PASSWORD']}"
        f"@{spec.database}:5432/{database['POSTGRES_DB']}"
    )
    assert database["POSTGRES_PASSWORD"] == f"p4ss-{spec.name}"
    for name in (spec.name, spec.migrate):
        assert _resolved_environment(services[name], environ)[spec.db_url_variable] == expected, name


@each_python_service
def test_database_healthcheck_asks_for_its_own_user_and_database(spec: PythonService) -> None:
    database = _services()[spec.database]
    env = _environment(database)
    assert env["POSTGRES_DB"] == spec.name
    assert database["healthcheck"]["test"] == [
        "CMD", "pg_isready", "-U", env["POSTGRES_USER"], "-d", env["POSTGRES_DB"],
    ]  # fmt: skip


# ---- compose.yaml: the gateway ------------------------------------------------------------------------


def test_gateway_port_is_bound_to_an_address_variable_defaulting_to_loopback() -> None:
    gateway_service = _services()["gateway"]
    (port,) = gateway_service["ports"]
    assert isinstance(port, str)
    assert port.startswith("${"), f"the host address must be a variable: {port!r}"
    host_ip, host_port, container_port = _interpolate(port, {}).split(":")
    assert host_ip == "127.0.0.1"
    assert host_port.isdigit()
    assert container_port == _resolved_environment(gateway_service, ENVIRON)["FLOCK_GATEWAY_PORT"]


def test_gateway_trusts_forwarded_addresses_from_one_proxy_not_from_everyone() -> None:
    environ = _resolved_environment(_services()["gateway"], ENVIRON)
    assert gateway.settings.load_settings(environ).forwarded_allow_ips != "*"


def test_gateway_refuses_to_start_without_a_jwt_secret() -> None:
    with pytest.raises(LookupError, match="FLOCK_JWT_SECRET"):
        _resolved_environment(_services()["gateway"], {})


def test_gateway_healthcheck_probes_the_readiness_route_on_its_port() -> None:
    gateway_service = _services()["gateway"]
    test = gateway_service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "the slim image has no curl; probe with python"
    (url,) = re.findall(r"http://[^'\"]+", test[3])
    ready_paths = {HealthController.path + path for path in HealthController.ready.paths}
    port = _resolved_environment(gateway_service, ENVIRON)["FLOCK_GATEWAY_PORT"]
    assert url in {f"http://127.0.0.1:{port}{path}" for path in ready_paths}


def test_gateway_reaches_the_posts_service_on_its_port_once_it_is_healthy() -> None:
    services = _services()
    gateway_env = _resolved_environment(services["gateway"], ENVIRON)
    posts_env = _resolved_environment(services["posts"], ENVIRON)
    assert gateway_env["FLOCK_POSTS_ADDR"] == f"posts:{posts_env['FLOCK_POSTS_PORT']}"
    assert float(gateway_env["FLOCK_GATEWAY_GRPC_TIMEOUT"]) > 0
    assert services["gateway"]["depends_on"]["posts"]["condition"] == "service_healthy"


# ---- compose.yaml: the gRPC services (posts, stats) ---------------------------------------------------

# Each process serving the gRPC health service, and the variable that sets its port.
GRPC_SERVICES = {
    "posts": "FLOCK_POSTS_PORT",
    "stats": "FLOCK_STATS_PORT",
    "stats-consumer": "FLOCK_STATS_PORT",
}
each_grpc_service = pytest.mark.parametrize("name", GRPC_SERVICES)


def _grpc_healthcheck(name: str) -> str:
    test = _services()[name]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "the slim image has no grpc_health_probe; probe with python"
    return str(test[3])


@each_grpc_service
def test_grpc_healthcheck_asks_the_grpc_health_service_on_the_services_port(name: str) -> None:
    port = _resolved_environment(_services()[name], ENVIRON)[GRPC_SERVICES[name]]
    assert re.findall(r"insecure_channel\('([^']+)'\)", _grpc_healthcheck(name)) == [f"127.0.0.1:{port}"]


@each_grpc_service
@pytest.mark.parametrize(
    ("status", "exit_code"),
    [(health_pb2.HealthCheckResponse.SERVING, 0), (health_pb2.HealthCheckResponse.NOT_SERVING, 1)],
    ids=["serving", "not-serving"],
)
def test_grpc_healthcheck_passes_only_while_the_server_reports_serving(
    name: str, status: int, exit_code: int
) -> None:
    # Run the command itself against a real gRPC health service, on a free port instead of the real one.
    address = f"127.0.0.1:{_free_port()}"
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    servicer.set("", status)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(address)
    server.start()
    try:
        code = re.sub(
            r"insecure_channel\('[^']+'\)", f"insecure_channel('{address}')", _grpc_healthcheck(name)
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30, check=False)
    finally:
        server.stop(grace=None)
    assert result.returncode == exit_code, result.stderr.decode()


# ---- compose.yaml: the broker and the event producers -------------------------------------------------


def _redpanda_flags() -> dict[str, str]:
    command = _services()["redpanda"]["command"]
    assert command[:2] == ["redpanda", "start"]
    return dict(flag.removeprefix("--").split("=", 1) for flag in command[2:] if "=" in flag)


def _advertised_kafka_address() -> str:
    (listener,) = _redpanda_flags()["advertise-kafka-addr"].split(",")
    return listener.split("://", 1)[1]


def test_redpanda_listens_on_all_interfaces_and_advertises_its_service_name() -> None:
    flags = _redpanda_flags()
    (listener,) = flags["kafka-addr"].split(",")
    name, address = listener.split("://", 1)
    host, port = address.rsplit(":", 1)
    assert host == "0.0.0.0"
    assert _advertised_kafka_address() == f"redpanda:{port}"
    assert flags["advertise-kafka-addr"].startswith(f"{name}://"), "advertise the listener it binds"
    assert flags["mode"] == "dev-container"
    assert flags["smp"] == "1"


def test_redpanda_healthcheck_asks_rpk_whether_the_cluster_is_healthy() -> None:
    test = _services()["redpanda"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert "rpk cluster health" in test[1]
    assert re.search(r"grep -E 'Healthy:\.\+true'", test[1])


def test_every_kafka_client_reaches_the_address_redpanda_advertises() -> None:
    clients = {
        name: _resolved_environment(service, ENVIRON)["FLOCK_KAFKA_BOOTSTRAP"]
        for name, service in _services().items()
        if "FLOCK_KAFKA_BOOTSTRAP" in _environment(service)
    }
    assert set(clients) >= {"posts", "gateway", *STATS_COMMANDS}
    assert set(clients.values()) == {_advertised_kafka_address()}
    console = _resolved_environment(_services()["redpanda-console"], ENVIRON)
    assert console["KAFKA_BROKERS"] == _advertised_kafka_address()


@pytest.mark.parametrize("producer", ["posts", "gateway"])
def test_producers_start_once_the_topics_exist(producer: str) -> None:
    # Else the broker would auto-create a topic with its own partition count on the first publish.
    depends_on = _services()[producer]["depends_on"]
    assert depends_on["stats-setup"]["condition"] == "service_completed_successfully"


# ---- compose.yaml: ClickHouse and the stats service ---------------------------------------------------


def test_stats_processes_run_the_stats_commands() -> None:
    services = _services()
    for name, command in STATS_COMMANDS.items():
        assert services[name]["command"] == ["python", "-m", "stats", command], name
    assert not _long_running(services["stats-setup"]), "stats-setup is one-shot: restart must be 'no'"
    assert _long_running(services["stats-consumer"])
    assert _long_running(services["stats"])


def test_stats_setup_waits_for_the_broker_and_clickhouse_and_the_rest_wait_for_it() -> None:
    services = _services()
    setup = services["stats-setup"]["depends_on"]
    assert setup["redpanda"]["condition"] == "service_healthy"
    assert setup["clickhouse"]["condition"] == "service_healthy"
    for name in ("stats-consumer", "stats"):
        depends_on = services[name]["depends_on"]
        assert depends_on["stats-setup"]["condition"] == "service_completed_successfully", name
        assert depends_on["clickhouse"]["condition"] == "service_healthy", name


def test_clickhouse_healthcheck_runs_a_query_as_its_own_user_and_database() -> None:
    test = _services()["clickhouse"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    command = test[1]
    assert command.startswith("clickhouse-client ")
    # $$ reaches the container as $: the shell there expands the container's own variables.
    for flag, variable in (
        ("user", "CLICKHOUSE_USER"),
        ("password", "CLICKHOUSE_PASSWORD"),
        ("database", "CLICKHOUSE_DB"),
    ):
        assert f'--{flag} "$${variable}"' in command, flag
        assert variable in _environment(_services()["clickhouse"])
    assert "--query 'SELECT 1'" in command


def test_stats_processes_use_the_credentials_and_database_of_the_clickhouse_container() -> None:
    services = _services()
    environ = {**ENVIRON, "FLOCK_CLICKHOUSE_PASSWORD": "p4ss-clickhouse"}
    clickhouse = _resolved_environment(services["clickhouse"], environ)
    assert clickhouse["CLICKHOUSE_PASSWORD"] == "p4ss-clickhouse"
    expected = (
        f"http://{clickhouse['CLICKHOUSE_USER']}:{clickhouse['CLICKHOUSE_PASSWORD']}"
        f"@clickhouse:8123/{clickhouse['CLICKHOUSE_DB']}"
    )
    for name in STATS_COMMANDS:
        assert _resolved_environment(services[name], environ)["FLOCK_STATS_CLICKHOUSE_URL"] == expected, name


def test_gateway_reaches_the_stats_service_on_its_port_once_it_is_healthy() -> None:
    services = _services()
    gateway_env = _resolved_environment(services["gateway"], ENVIRON)
    stats_env = _resolved_environment(services["stats"], ENVIRON)
    assert gateway_env["FLOCK_STATS_ADDR"] == f"stats:{stats_env['FLOCK_STATS_PORT']}"
    assert services["gateway"]["depends_on"]["stats"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", STATS_COMMANDS)
def test_stats_process_environment_loads_into_valid_settings(name: str) -> None:
    settings = stats.settings.load_settings(_resolved_environment(_services()[name], ENVIRON))
    assert settings.clickhouse_url.startswith("http://flock:")
    assert settings.kafka_bootstrap == _advertised_kafka_address()


def test_stats_service_listens_on_all_interfaces_on_the_port_the_gateway_calls() -> None:
    settings = stats.settings.load_settings(_resolved_environment(_services()["stats"], ENVIRON))
    assert settings.host == "0.0.0.0"
    gateway_env = _resolved_environment(_services()["gateway"], ENVIRON)
    assert gateway_env["FLOCK_STATS_ADDR"] == f"stats:{settings.port}"


def test_stats_consumer_serves_its_health_on_loopback_only() -> None:
    settings = stats.settings.load_settings(_resolved_environment(_services()["stats-consumer"], ENVIRON))
    assert settings.host == "127.0.0.1", "nothing on the network needs the consumer's health service"


def test_stats_setup_creates_topics_one_broker_can_hold() -> None:
    settings = stats.settings.load_settings(_resolved_environment(_services()["stats-setup"], ENVIRON))
    # One Redpanda node: a replication factor above one could never be satisfied.
    assert settings.kafka_replication_factor == 1
    assert settings.kafka_partitions >= 1


# ---- compose.yaml: Redpanda Console (opt-in) ----------------------------------------------------------


def test_console_points_at_the_brokers_admin_api_and_probes_its_own_health_route() -> None:
    console = _services()["redpanda-console"]
    env = _resolved_environment(console, ENVIRON)
    assert env["REDPANDA_ADMINAPI_ENABLED"] == "true"
    assert env["REDPANDA_ADMINAPI_URLS"] == "http://redpanda:9644"
    assert console["depends_on"]["redpanda"]["condition"] == "service_healthy"
    (port,) = console["ports"]
    container_port = port.rsplit(":", 1)[1]
    assert console["healthcheck"]["test"][-1] == f"http://127.0.0.1:{container_port}/admin/health"


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


def test_build_context_holds_every_package_the_services_import() -> None:
    # A package the processes import but the image lacks would only fail in a deployed container.
    patterns = _dockerignore_patterns()
    imported: set[str] = set()
    for service in ("gateway", "posts", "stats"):
        for path in (ROOT / service).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
    ours = {name for name in imported if (ROOT / name / "__init__.py").exists()}
    assert ours >= {"gateway", "posts", "stats", "idl", "servicekit"}
    for package in sorted(ours):
        assert not _docker_ignores(f"{package}/__init__.py", patterns), f"{package}/ is not in the image"


def test_build_context_holds_the_code_but_no_local_state() -> None:
    patterns = _dockerignore_patterns()
    for kept in (
        "pyproject.toml",
        "uv.lock",
        "gateway/__main__.py",
        "posts/__main__.py",
        "posts/piccolo_migrations/2026_11_26t10_00_00_000000.py",
        "stats/x.py",
        "idl/flock/posts/v1/posts_pb2.py",
        "idl/flock/posts/v1/posts_pb2_grpc.py",
        "servicekit/database.py",
    ):
        assert not _docker_ignores(kept, patterns), kept
    for dropped in (
        ".venv/bin/python",
        ".flock/cache/jars/plantuml.jar",
        ".flock/cache/kafka/4.4.0/libs/kafka_2.13-4.4.0.jar",
        "scripts/kafka/pom.xml",
        ".git/config",
        "gateway/__pycache__/app.cpython-311.pyc",
        ".pytest_cache/v/x",
        "tests/deploy/test_deploy_files.py",
        ".env",
    ):
        assert _docker_ignores(dropped, patterns), dropped
