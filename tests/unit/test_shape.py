"""The shape of the code, as docs/architecture.md describes it, checked cheaply from the source: a
new domain that copies the wrong shape fails here, not in review."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "gateway"
# Gateway packages that are not domains: the shared HTTP core, the service clients, the admin panel
# (pages over the domains' services, with no service or tables of its own) and mail (the outbox of
# mails and its sender, which the domains that mail queue into; no HTTP of its own).
CORE = {"http", "clients", "piccolo_migrations", "panel", "mail"}
DOMAINS = sorted(p.name for p in GATEWAY.iterdir() if (p / "__init__.py").exists() and p.name not in CORE)
# Domains that own tables in the gateway's database.
OWNS_DATA = {"auth", "users", "graph", "blocks", "moderation", "reports", "notifications", "account_mail"}


def _sources(*folders: str) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "piccolo_migrations" not in path.parts and not path.name.endswith(("_pb2.py", "_pb2_grpc.py")):
                yield path


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as ``a.b`` and ``a.b.c``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_the_gateway_has_the_domains_the_docs_describe() -> None:
    assert DOMAINS == [
        "account_mail",
        "auth",
        "blocks",
        "graph",
        "moderation",
        "notifications",
        "posts",
        "reports",
        "search",
        "stats",
        "users",
    ]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_gateway_domain_has_the_same_files(domain: str) -> None:
    files = {p.name for p in (GATEWAY / domain).glob("*.py")}
    expected = {"controllers.py", "schemas.py", "service.py"} | (
        {"tables.py"} if domain in OWNS_DATA else set()
    )
    assert expected <= files, f"gateway/{domain} lacks {sorted(expected - files)}"


def test_no_domain_imports_another_domains_controllers() -> None:
    offenders = []
    for path in _sources("gateway"):
        module = _name(path)
        if module == "gateway.app":  # the composition root mounts every controller
            continue
        own = module.split(".")[1] if module.count(".") >= 2 else ""
        for imported in _imports(path):
            parts = imported.split(".")
            if len(parts) >= 3 and parts[0] == "gateway" and parts[2] == "controllers" and parts[1] != own:
                offenders.append(f"{module} imports {imported}")
    assert not offenders


def test_the_http_error_mapping_imports_no_domain() -> None:
    imported = _imports(GATEWAY / "http" / "errors.py")
    assert not {name for name in imported if name.split(".")[:2] in [["gateway", d] for d in DOMAINS]}
    assert "grpc" not in imported


def test_grpc_and_protobuf_stop_at_the_gateways_clients() -> None:
    offenders = [
        f"{_name(path)} imports {name}"
        for path in _sources("gateway")
        if path.parent.name != "clients"
        for name in _imports(path)
        if name == "grpc" or name.startswith("grpc.") or "_pb2" in name
    ]
    assert not offenders


def test_protobuf_stops_at_the_servicers_and_servers_of_the_services() -> None:
    allowed = {"servicer.py", "server.py"}
    offenders = [
        f"{_name(path)} imports {name}"
        for path in _sources("posts", "stats")
        if path.name not in allowed
        for name in _imports(path)
        if "_pb2" in name
    ]
    assert not offenders


def test_services_import_no_web_framework() -> None:
    offenders = [
        f"{_name(path)} imports {name}"
        for path in _sources("gateway")
        if path.name in {"service.py", "tables.py"}
        for name in _imports(path)
        if name.split(".")[0] in {"litestar", "grpc"}
    ]
    assert not offenders


def test_only_settings_modules_read_the_environment() -> None:
    offenders = []
    for path in _sources("gateway", "posts", "stats", "servicekit"):
        if path.name == "settings.py":
            continue
        offenders += [
            _name(path)
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and not _sets_piccolo_conf(path)
        ]
    assert not offenders


def _sets_piccolo_conf(path: Path) -> bool:
    # Piccolo's migration tool finds its configuration through PICCOLO_CONF: the one variable a
    # process sets (for the tool), rather than reads.
    return "PICCOLO_CONF" in path.read_text()
