"""The API documents itself, offline: a docs UI, the OpenAPI document, and a committed export."""

from __future__ import annotations

import re

import httpx
import yaml

from scripts import openapi


def test_the_docs_ui_loads_every_asset_from_the_gateway(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(urls) >= 3
    for url in urls:
        assert url.startswith("/"), f"{url} would need the internet"
        asset = httpx.get(f"{gateway_url}{url}")
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert "SwaggerUIBundle" in page.text


def test_the_openapi_document_is_served_as_json_and_yaml(gateway_url: str) -> None:
    as_json = httpx.get(f"{gateway_url}/docs/openapi.json").json()
    as_yaml = yaml.safe_load(httpx.get(f"{gateway_url}/docs/openapi.yaml").text)
    assert as_json == as_yaml
    assert as_json["openapi"].startswith("3.1")
    paths = set(as_json["paths"])
    assert {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/users/{username}",
    } <= paths
    assert as_json["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert as_json["paths"]["/api/v1/users/me"]["get"]["security"] == [{"BearerToken": []}]


def test_the_committed_openapi_export_matches_the_code() -> None:
    assert openapi.SPEC_PATH.read_text() == openapi.render(), (
        "openapi/openapi.yaml is stale: run `just openapi`"
    )


def test_the_served_document_is_the_committed_one(gateway_url: str) -> None:
    served = httpx.get(f"{gateway_url}/docs/openapi.json").json()
    assert served == yaml.safe_load(openapi.SPEC_PATH.read_text())
