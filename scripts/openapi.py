"""Export the gateway's OpenAPI document to ``openapi/openapi.yaml`` (``just openapi``), or check
that the committed file is current (``--check``; a test does the same)."""

from __future__ import annotations

import sys

import yaml

from scripts import exported

SPEC_PATH = exported.ROOT / "openapi" / "openapi.yaml"


def render() -> str:
    """The OpenAPI document as YAML, exactly as the gateway serves it at /docs/openapi.yaml."""
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    # Building the app opens no connection; these placeholders only satisfy the settings' types.
    app = create_app(GatewaySettings(db_url="postgresql://unused/unused", jwt_secret="x" * 32))
    schema = app.openapi_schema.to_schema()
    return str(yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100))


if __name__ == "__main__":
    sys.exit(exported.main(SPEC_PATH, render, "openapi", __doc__))
