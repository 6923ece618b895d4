"""docs/architecture.md lists, service by service, exactly the tables, REST routes, gRPC methods and
topics the code has: a route, an RPC, a table or a topic added, renamed or removed without the document
fails here.

The document's "The services" section has one ``### <service>`` table each; a row is labelled in its
first cell. What is compared, in backticks in the row's other cells:

- ``Data`` rows: table names, against the Piccolo tables of the gateway and the posts service (the lists
  their migrations are made from) and the ClickHouse schema (``stats/schema/``);
- ``API…`` rows: ``METHOD /path`` routes (relative to ``/api/v1``), against the committed
  ``openapi/openapi.yaml``; gRPC services (``flock.posts.v1.PostsService``) and their methods, against
  the generated descriptors in ``idl/``;
- ``Publishes`` and ``Consumes`` rows: topics, against the event contract's ``TOPICS`` and who sends and
  receives what in the committed ``openapi/asyncapi.yaml`` (both exports are checked by ``just drift``).

Other backticked words in those rows are ignored only if they look like none of these.
"""

from __future__ import annotations

import collections
import importlib
import re
from pathlib import Path

import pytest
import yaml

from idl.flock.events.v1 import events

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
API_PREFIX = "/api/v1"

GATEWAY = "Gateway"
POSTS = "Posts service"
STATS_API = "Stats service: API"
STATS_CONSUMER = "Stats service: consumer"
SECTIONS = {GATEWAY, POSTS, STATS_API, STATS_CONSUMER}
# The first word of an AsyncAPI channel's name ("gateway-views", "stats-consumer:…") names its process.
CHANNEL_OWNERS = {"gateway": GATEWAY, "posts": POSTS, "stats": STATS_CONSUMER}

_ROUTE = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/\S*)$")
_GRPC_SERVICE = re.compile(r"^[a-z]\w*(?:\.\w+)*\.[A-Z]\w*Service$")
_GRPC_METHOD = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_TOPIC = re.compile(r"^flock\.events\.[a-z0-9_.]+$")
_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"`([^`]+)`")
_CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")

Rows = dict[str, list[list[str]]]  # row kind ("data", "api", "publishes", "consumes") -> tokens per row


def _kind(label: str) -> str | None:
    label = label.replace("*", "").strip().lower()
    for kind in ("data", "api", "publishes", "consumes"):
        if label.startswith(kind):
            return kind
    return None


def _sections() -> dict[str, Rows]:
    """The backticked tokens of each service's table, by row kind, by service heading."""
    text = DOC.read_text()
    match = re.search(r"^## The services\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "docs/architecture.md has no '## The services' section"
    sections: dict[str, Rows] = {}
    for block in re.split(r"^### ", match.group(1), flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        rows: Rows = collections.defaultdict(list)
        for line in body.splitlines():
            cells = line.strip().strip("|").split("|")
            if not line.startswith("|") or len(cells) < 2:
                continue
            kind = _kind(cells[0])
            if kind:
                rows[kind].append(_CODE.findall("|".join(cells[1:])))
        assert heading.strip() not in sections, f"two sections named {heading.strip()!r}"
        sections[heading.strip()] = rows
    return sections


def _tokens(rows: Rows, kind: str, pattern: re.Pattern[str]) -> list[str]:
    return [token for row in rows.get(kind, []) for token in row if pattern.match(token)]


def _once(tokens: list[str], where: str) -> set[str]:
    repeated = sorted(token for token, count in collections.Counter(tokens).items() if count > 1)
    assert not repeated, f"{where} lists these more than once: {repeated}"
    return set(tokens)


def _difference(where: str, documented: set[str], actual: set[str]) -> str:
    return (
        f"{where}: missing from docs/architecture.md {sorted(actual - documented)}, "
        f"listed there but not in the code {sorted(documented - actual)}"
    )


@pytest.fixture(scope="module")
def sections() -> dict[str, Rows]:
    return _sections()


def test_the_document_has_a_table_per_service(sections: dict[str, Rows]) -> None:
    assert set(sections) == SECTIONS, "a new service: give it a table, and add it to SECTIONS here"
    for name, rows in sections.items():
        assert {"data", "api", "publishes", "consumes"} <= set(rows), name


def _piccolo_tables(module: str) -> set[str]:
    tables = importlib.import_module(module).TABLES
    return {table._meta.tablename for table in tables}


def _clickhouse_tables() -> set[str]:
    folder = ROOT / "stats" / "schema"
    sources = [*sorted(folder.glob("*.sql")), folder / "__init__.py"]  # __init__ holds the ledger
    return {name for path in sources for name in _CREATE_TABLE.findall(path.read_text())}


def _tables(sections: dict[str, Rows], section: str) -> set[str]:
    return _once(_tokens(sections[section], "data", _TABLE), f"{section}: Data")


def test_each_service_lists_the_tables_it_owns(sections: dict[str, Rows]) -> None:
    expected = {
        GATEWAY: _piccolo_tables("gateway.database"),
        POSTS: _piccolo_tables("posts.database"),
        # The consumer writes every table (and `stats setup` the schema ledger).
        STATS_CONSUMER: _clickhouse_tables(),
        # The API reads the tables its queries name.
        STATS_API: set(re.findall(r"\bFROM\s+(\w+)", (ROOT / "stats" / "queries.py").read_text()))
        & _clickhouse_tables(),
    }
    for section, actual in expected.items():
        assert actual, section
        documented = _tables(sections, section)
        assert documented == actual, _difference(f"{section}: tables", documented, actual)


def _openapi_routes() -> set[str]:
    document = yaml.safe_load((ROOT / "openapi" / "openapi.yaml").read_text())
    routes = [
        f"{method.upper()} {path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX + '/') else path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "head", "post", "put", "patch", "delete", "options"}
    ]
    return _once(routes, "openapi.yaml, relative to /api/v1,")


def test_the_gateway_lists_every_rest_route_and_no_other(sections: dict[str, Rows]) -> None:
    by_section = {name: _tokens(rows, "api", _ROUTE) for name, rows in sections.items()}
    assert {name for name, routes in by_section.items() if routes} == {GATEWAY}, "routes are the gateway's"
    documented = _once(by_section[GATEWAY], "Gateway: API")
    actual = _openapi_routes()
    assert documented == actual, _difference("REST routes", documented, actual)


def _grpc_services() -> dict[str, set[str]]:
    """Every gRPC service of the generated code in idl/, by full name, with its methods."""
    services: dict[str, set[str]] = {}
    for path in sorted((ROOT / "idl").rglob("*_pb2.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for service in module.DESCRIPTOR.services_by_name.values():
            services[service.full_name] = {method.name for method in service.methods}
    assert services
    return services


def test_each_grpc_service_is_listed_once_with_every_method_and_no_other(sections: dict[str, Rows]) -> None:
    documented: dict[str, set[str]] = {}
    for name, rows in sections.items():
        services = _tokens(rows, "api", _GRPC_SERVICE)
        methods = _tokens(rows, "api", _GRPC_METHOD)
        assert len(services) <= 1, f"{name}: one gRPC service per table, not {services}"
        if not services:
            assert not methods, f"{name}: methods {methods} but no service (`flock.<x>.v1.<X>Service`)"
            continue
        assert services[0] not in documented, f"{services[0]} is listed by two services"
        documented[services[0]] = _once(methods, f"{name}: API")
    actual = _grpc_services()
    assert set(documented) == set(actual), _difference("gRPC services", set(documented), set(actual))
    for service, expected in actual.items():
        listed = documented[service]
        assert listed == expected, _difference(f"{service} methods", listed, expected)


def _asyncapi_roles() -> dict[str, dict[str, set[str]]]:
    """Who sends and who receives which topic, by section, from the committed AsyncAPI document."""
    document = yaml.safe_load((ROOT / "openapi" / "asyncapi.yaml").read_text())
    roles: dict[str, dict[str, set[str]]] = collections.defaultdict(lambda: collections.defaultdict(set))
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[1]
        owner = re.split(r"[-:]", channel, maxsplit=1)[0]
        assert owner in CHANNEL_OWNERS, f"AsyncAPI channel {channel!r}: add its process to CHANNEL_OWNERS"
        kind = {"send": "publishes", "receive": "consumes"}[operation["action"]]
        roles[CHANNEL_OWNERS[owner]][kind].add(document["channels"][channel]["address"])
    return roles


def test_the_topics_are_the_event_contracts(sections: dict[str, Rows]) -> None:
    documented = {
        topic
        for rows in sections.values()
        for kind in ("publishes", "consumes")
        for topic in _tokens(rows, kind, _TOPIC)
    }
    assert documented == set(events.TOPICS), _difference("topics", documented, set(events.TOPICS))


def test_each_service_publishes_and_consumes_what_the_asyncapi_document_says(
    sections: dict[str, Rows],
) -> None:
    roles = _asyncapi_roles()
    for name, rows in sections.items():
        for kind in ("publishes", "consumes"):
            documented = _once(_tokens(rows, kind, _TOPIC), f"{name}: {kind}")
            actual = roles.get(name, {}).get(kind, set())
            assert documented == actual, _difference(f"{name} {kind}", documented, actual)
