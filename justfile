# Flock's developer recipes. Run them through uv so the tools come from the locked environment:
#   uv run just <recipe>

set shell := ["bash", "-euo", "pipefail", "-c"]


buf_version := "1.75.0"
buf := ".flock/cache/npm/node_modules/.bin/buf"

# List the recipes
default:
    @just --list

# Run the whole system locally (embedded PostgreSQL and broker; Ctrl-C stops it; FLOCK_LOCAL_PORT_BASE moves its ports)
[group('run')]
up:
    uv run python -m scripts.devstack up

# Stop a running `just up` (from another terminal)
[group('run')]
down:
    uv run python -m scripts.devstack down

# The mail a running `just up` has sent (kept in .flock/mail): newest first; --to ADDRESS, --show N
[group('run')]
[positional-arguments]
mail *args:
    uv run python -m scripts.mail "$@"

# Apply database migrations to the databases named by FLOCK_GATEWAY_DB_URL and FLOCK_POSTS_DB_URL
[group('run')]
migrate:
    uv run python -m gateway migrate
    uv run python -m posts migrate

# Run the tests (starts its own PostgreSQL and services; pytest arguments pass through).
# `just test -m "not system"` is the fast layer: in-process, seconds, no Java, Maven or npm.
[group('check')]
test *args:
    uv run pytest {{args}}

# Lint and type-check the code; lint the .proto contracts and check their formatting
[group('check')]
lint: tools
    {{ buf }} lint
    {{ buf }} format --diff --exit-code
    uv run ruff check .
    uv run ruff format --check .
    uv run mypy

# Check that generated files (gRPC code, OpenAPI and AsyncAPI documents) match their sources
[group('check')]
drift:
    uv run python -m scripts.gen_protos --check
    uv run python -m scripts.openapi --check
    uv run python -m scripts.asyncapi --check

# Benchmark the running system (`just up` first; its port is found): seed it as `just seed` does, then reads, the feed, a mixed load
[group('check')]
[positional-arguments]
bench *args:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v wrk >/dev/null; then
        if [ "$(id -u)" -eq 0 ]; then
            apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }
        else
            echo "just bench needs wrk: sudo apt-get install -y wrk" >&2
            exit 2
        fi
    fi
    uv run python -m scripts.benchmark.load "$@"

# Fill the running system (`just up` first; its port is found) with deterministic synthetic data through the API (--help)
[group('run')]
[positional-arguments]
seed *args:
    uv run python -m scripts.seed "$@"

# Benchmark the stats pipeline on its own (starts its own broker and stats processes): ingest, like→visible, queries
[group('check')]
[positional-arguments]
bench-stats *args:
    uv run python -m scripts.benchmark.stats "$@"

# Benchmark the feed and search queries of the posts service on 200k posts (starts its own servers)
[group('check')]
[positional-arguments]
bench-feed *args:
    uv run python -m scripts.benchmark.feed_search "$@"

# Everything CI runs
[group('check')]
ci: lint drift test

# Format the code and the .proto contracts (after a .proto changes, `just gen` regenerates its stubs)
[group('dev')]
fmt: tools
    {{ buf }} format --write
    uv run ruff format .
    uv run ruff check --fix .

# Fetch Apache Kafka's server jars (durability tests, `just kafka`) into .flock/cache, once
[group('dev')]
kafka-fetch:
    uv run python -m scripts.kafka fetch

# Run Apache Kafka in the foreground on 127.0.0.1:PORT; then FLOCK_KAFKA_BOOTSTRAP=127.0.0.1:PORT just up
[group('run')]
kafka port="9092": kafka-fetch
    uv run python -m scripts.kafka run --data-dir .flock/kafka --port {{ port }}

# Generate Python code and type stubs from the .proto files in idl/
[group('dev')]
gen:
    uv run python -m scripts.gen_protos

# Export the OpenAPI document to openapi/openapi.yaml
[group('dev')]
openapi:
    uv run python -m scripts.openapi

# Export the AsyncAPI document of the events to openapi/asyncapi.yaml
[group('dev')]
asyncapi:
    uv run python -m scripts.asyncapi

# Make a new migration from table changes: just migration gateway|posts "what changed"
[group('dev')]
migration app desc:
    # Comparing tables with earlier migrations needs no database, but the settings want an address.
    FLOCK_{{ uppercase(app) }}_DB_URL="postgresql://unused/unused" PICCOLO_CONF={{ app }}.piccolo_conf \
        uv run piccolo migrations new {{ app }} --auto --desc="{{ desc }}"

# Fetch the non-Python tools the checks use, once, into .flock/cache (PlantUML, buf, Kafka)
[group('dev')]
tools: kafka-fetch
    #!/usr/bin/env bash
    set -euo pipefail
    uv run python -m scripts.plantuml >/dev/null
    if [ ! -x "{{ buf }}" ]; then
        npm install --silent --no-audit --no-fund --prefix .flock/cache/npm "@bufbuild/buf@{{ buf_version }}"
    fi

# Render architecture.puml (C4 context + container) to SVG: docs/images/architecture-*.svg, shown in the README
[group('docs')]
diagram:
    #!/usr/bin/env bash
    set -euo pipefail
    out="$PWD/.flock/diagrams"
    java -Djava.awt.headless=true -jar "$(uv run python -m scripts.plantuml)" -tsvg -failfast2 architecture.puml -o "$out"
    mkdir -p docs/images
    for name in context container; do cp "$out/$name.svg" "docs/images/architecture-$name.svg"; done
    ls docs/images/architecture-*.svg
