"""Export the gateway's OpenAPI document to ``openapi/openapi.yaml`` (``just openapi``), or check
that the committed file is current (``--check``; a test does the same)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "openapi.yaml"


def render() -> str:
    """The OpenAPI document as YAML, exactly as the gateway serves it at /docs/openapi.yaml."""
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    # Building the app opens no connection; these placeholders only satisfy the settings' types.
    app = create_app(GatewaySettings(db_url="postgresql://unused/unused", jwt_secret="x" * 32))
    schema = app.openapi_schema.to_schema()
    return str(yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not SPEC_PATH.exists() or SPEC_PATH.read_text() != text:
            print(f"{SPEC_PATH.relative_to(ROOT)} is stale: run `just openapi`.", file=sys.stderr)
            return 1
        print(f"{SPEC_PATH.relative_to(ROOT)} is current.")
        return 0
    SPEC_PATH.parent.mkdir(exist_ok=True)
    SPEC_PATH.write_text(text)
    print(f"wrote {SPEC_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
