"""architecture.puml renders, and says what the system is: every flow drawn, every arrow with its protocol,
every topic of the event contract; and the SVGs the README shows are what it renders today.

The render needs Java and the PlantUML jar (fetched with Maven into .flock/cache/jars/ on first use,
as `just diagram` does; set FLOCK_PLANTUML_JAR to use another): a diagram nobody can render is broken.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from idl.flock.events.v1 import events
from scripts import plantuml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "architecture.puml"
# The renders the README shows (`just diagram` writes them), by diagram name.
IMAGES = {name: ROOT / "docs" / "images" / f"architecture-{name}.svg" for name in ("context", "container")}
SVG_NS = "{http://www.w3.org/2000/svg}"

# Relations as (from, to) aliases, each one a flow of the design.
CONTEXT_FLOWS = {
    ("member", "clients"),
    ("moderator", "clients"),
    ("clients", "flock"),
    ("flock", "smtp"),
    ("smtp", "member"),
}
CONTAINER_FLOWS = {
    ("clients", "gateway"),
    ("gateway", "gateway_db"),
    ("gateway", "posts"),
    ("gateway", "stats"),
    ("gateway", "views_topic"),
    ("posts", "posts_db"),
    ("posts", "posts_topic"),
    ("posts_topic", "consumer"),
    ("views_topic", "consumer"),
    ("consumer", "clickhouse"),
    ("stats", "clickhouse"),
    ("gateway", "follows_topic"),
    ("posts_topic", "notifier"),
    ("follows_topic", "notifier"),
    ("notifier", "gateway_db"),
    ("notifier", "smtp"),
}
# The broker's topics, drawn as queues inside it: ContainerQueue(alias, "<topic>", ...).
_QUEUE = re.compile(r'^\s*ContainerQueue\(\s*(\w+)\s*,\s*"([^"]*)"', re.MULTILINE)
_REL = re.compile(
    r'^\s*(?:Bi)?Rel(?:_\w+)?\(\s*(\w+)\s*,\s*(\w+)\s*,\s*"([^"]*)"\s*(?:,\s*"([^"]*)")?', re.MULTILINE
)


def _diagrams() -> dict[str, str]:
    """The body of each ``@startuml <name>`` ... ``@enduml`` block, by name."""
    blocks = re.findall(
        r"^@startuml[ \t]+(\w+)\s*\n(.*?)^@enduml", SOURCE.read_text(), re.MULTILINE | re.DOTALL
    )
    return dict(blocks)


def _relations(body: str) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (source, target): (label, protocol or "") for source, target, label, protocol in _REL.findall(body)
    }


def _plantuml_jar() -> Path:
    configured = os.environ.get("FLOCK_PLANTUML_JAR")
    if configured:
        jar = Path(configured)
        if not jar.is_file():
            pytest.fail(f"FLOCK_PLANTUML_JAR={configured} is not a file")
        return jar
    return plantuml.fetch()


def _svg_text(svg: Path) -> str:
    """Every text element of the SVG, in order, words separated by single spaces.

    PlantUML writes one element per word, with non-breaking spaces between them as elements of their own.
    """
    root = ET.parse(svg).getroot()
    return " ".join(" ".join(element.text or "" for element in root.iter(f"{SVG_NS}text")).split())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Render both diagrams to SVG once; the text of each SVG by diagram name."""
    jar = _plantuml_jar()
    java = shutil.which("java")
    if java is None:
        pytest.fail("no `java` on PATH: PlantUML needs Java 11+")
    out = tmp_path_factory.mktemp("diagrams")
    result = subprocess.run(
        [
            java,
            "-Djava.awt.headless=true",
            "-jar",
            str(jar),
            "-tsvg",
            "-failfast2",
            str(SOURCE),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"PlantUML failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    svgs = {svg.stem: svg for svg in out.glob("*.svg")}
    assert set(svgs) == {"context", "container"}, sorted(svgs)
    return {name: _svg_text(svg) for name, svg in svgs.items()}


def test_architecture_has_a_context_and_a_container_diagram_with_legends() -> None:
    diagrams = _diagrams()
    assert set(diagrams) == {"context", "container"}
    assert "!include <C4/C4_Context>" in diagrams["context"]
    assert "!include <C4/C4_Container>" in diagrams["container"]
    for body in diagrams.values():
        assert "SHOW_LEGEND()" in body


def test_every_arrow_names_its_protocol() -> None:
    for name, body in _diagrams().items():
        relations = _relations(body)
        assert relations, name
        unlabeled = [pair for pair, (_, protocol) in relations.items() if not protocol.strip()]
        assert not unlabeled, f"{name}: arrows without a protocol: {unlabeled}"


def test_context_diagram_draws_the_system_its_people_and_neighbours() -> None:
    assert set(_relations(_diagrams()["context"])) == CONTEXT_FLOWS


def test_container_diagram_draws_every_flow_of_the_design() -> None:
    relations = _relations(_diagrams()["container"])
    assert set(relations) >= CONTAINER_FLOWS
    assert "gRPC" in relations[("gateway", "posts")][1]
    assert "gRPC" in relations[("gateway", "stats")][1]
    assert "PostViewed" in relations[("gateway", "views_topic")][0]
    for pair in (
        ("gateway", "views_topic"),
        ("posts", "posts_topic"),
        ("posts_topic", "consumer"),
        ("views_topic", "consumer"),
        ("gateway", "accounts_topic"),
        ("accounts_topic", "posts"),
        ("accounts_topic", "consumer"),
    ):
        assert "Kafka" in relations[pair][1], pair
    # Producing is aiokafka's producer (servicekit.kafka.Producer); consuming is FastStream.
    for pair in (("gateway", "views_topic"), ("posts", "posts_topic")):
        assert "aiokafka" in relations[pair][1], pair
    for pair in (("posts_topic", "consumer"), ("views_topic", "consumer")):
        assert "FastStream" in relations[pair][1], pair


def test_container_diagram_draws_every_topic_of_the_event_contract() -> None:
    queues = dict(_QUEUE.findall(_diagrams()["container"]))
    assert sorted(queues.values()) == sorted(events.TOPICS)
    assert queues == {
        "posts_topic": events.POSTS_TOPIC,
        "views_topic": events.VIEWS_TOPIC,
        "accounts_topic": events.ACCOUNTS_TOPIC,
        "relationships_topic": events.RELATIONSHIPS_TOPIC,
        "follows_topic": events.FOLLOWS_TOPIC,
    }


def test_context_diagram_renders_with_people_and_external_systems(rendered: dict[str, str]) -> None:
    text = rendered["context"]
    for name in ("Flock", "Member", "Moderator/Admin", "Client apps", "REST/JSON", "Mail relay", "SMTP"):
        assert name in text, name


def test_container_diagram_renders_with_every_container(rendered: dict[str, str]) -> None:
    text = rendered["container"]
    for name in (
        "Gateway",
        "Posts",
        "Stats",
        "consumer",
        "Notifier",
        "SMTP",
        "ClickHouse",
        "Redpanda",
        "PostgreSQL",
        "gRPC",
        "Kafka",
        *events.TOPICS,
    ):
        assert name in text, name
    assert text.lower().count("gateway") >= 2, "the gateway and its database"


def test_the_committed_svgs_are_what_the_diagram_renders(rendered: dict[str, str]) -> None:
    """docs/images/architecture-*.svg (shown in the README) say what architecture.puml says now.

    Compared as text, element by element: coordinates follow the fonts of the machine that renders,
    the words do not. After changing the diagram, `just diagram` writes them again.
    """
    assert set(IMAGES) == set(rendered)
    for name, image in IMAGES.items():
        assert image.is_file(), f"{image.relative_to(ROOT)} is missing: run `just diagram`"
        assert _svg_text(image) == rendered[name], f"{image.relative_to(ROOT)} is stale: run `just diagram`"
