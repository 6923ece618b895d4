"""Every operation of the published API, called with odd path and query values, signed in and not:
never a server error, and every error is a problem document. The routes come from the committed
OpenAPI export, so a new endpoint is covered without a new test."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import yaml

from scripts.openapi import SPEC_PATH
from tests.factories import Member, Members

API_PREFIX = "/api/v1"
ODD_SEGMENTS = ["%00", "x" * 300, "..%2F..", "%C3%BC%F0%9F%98%80", "-1", "null"]
ODD_QUERY_VALUES = ["", "-1", "0", "9" * 30, "x" * 1000, "\x00", "%", "' OR 1=1 --", "ü😀"]


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    found = []
    for path, item in spec["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path.removeprefix(API_PREFIX), operation))
    return found


OPERATIONS = _operations()


def _filled(path: str, segment: str, *, ids: bool = True) -> str:
    """``path`` with every parameter set to ``segment``, but ids to a random UUID if ``ids``."""

    def fill(part: str) -> str:
        if not (part.startswith("{") and part.endswith("}")):
            return part
        return str(uuid.uuid4()) if ids and part.endswith("_id}") else segment

    return "/".join(fill(part) for part in path.split("/"))


def _assert_no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", response.text
        assert response.json()["code"]


@pytest.fixture(scope="module")
def caller(gateway_url: str) -> Member:
    return Members(gateway_url).create()


def test_the_export_lists_the_api() -> None:
    paths = {path for _, path, _ in OPERATIONS}
    assert {"/feed", "/search", "/users/{username}/follow", "/posts/{post_id}"} <= paths


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_odd_values_never_cause_a_server_error(
    api: httpx.Client, caller: Member, method: str, path: str, operation: dict[str, Any]
) -> None:
    queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    body: dict[str, Any] | None = {} if "requestBody" in operation else None
    for headers in ({}, caller.auth):
        for segment in ODD_SEGMENTS:
            for ids in (True, False):
                response = api.request(method, _filled(path, segment, ids=ids), json=body, headers=headers)
                _assert_no_server_error(response)
        for name in queries:
            for value in ODD_QUERY_VALUES:
                response = api.request(
                    method, _filled(path, "someone"), params={name: value}, json=body, headers=headers
                )
                _assert_no_server_error(response)
