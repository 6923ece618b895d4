"""Bad input of every kind gets a 4xx problem body, never a 500 and never a stack trace."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.factories import Members

JSON = {"Content-Type": "application/json"}


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text


def test_malformed_json_is_400(api: httpx.Client) -> None:
    for text in ('{"username":', "{'single': 'quotes'}", "not json at all", '{"a":1}trailing'):
        assert_problem(api.post("/auth/login", content=text, headers=JSON), 400, "malformed_body")


def test_a_body_that_is_not_an_object_is_422(api: httpx.Client) -> None:
    for text in ("[1, 2]", '"text"', "42", "null", "true"):
        assert_problem(api.post("/auth/login", content=text, headers=JSON), 422, "validation_failed")


def test_an_empty_body_is_rejected(api: httpx.Client) -> None:
    response = api.post("/auth/login")
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_over_64_kib_is_413(api: httpx.Client) -> None:
    body = json.dumps({"username": "someone", "password": "x" * (64 * 1024)})
    assert_problem(api.post("/auth/login", content=body, headers=JSON), 413, "request_too_large")


def test_a_body_just_under_the_limit_is_read(api: httpx.Client) -> None:
    body = json.dumps({"username": "someone", "password": "x" * (60 * 1024)})
    assert_problem(api.post("/auth/login", content=body, headers=JSON), 422, "validation_failed")


def test_unknown_routes_and_methods_are_problems_too(api: httpx.Client) -> None:
    assert_problem(api.get("/no/such/route"), 404, "not_found")
    assert_problem(api.put("/users/me"), 405, "method_not_allowed")


def test_the_callers_request_id_is_echoed(api: httpx.Client) -> None:
    response = api.get("/users/me", headers={"X-Request-ID": "client-chosen-id-123"})
    assert response.headers["x-request-id"] == "client-chosen-id-123"
    assert response.json()["request_id"] == "client-chosen-id-123"
    # An id that could smuggle anything into logs is replaced.
    odd = api.get("/users/me", headers={"X-Request-ID": "bad id; drop"})
    assert odd.headers["x-request-id"] != "bad id; drop"


def test_problem_types_resolve_to_descriptions(api: httpx.Client, gateway_url: str) -> None:
    code = api.post("/auth/login", json={}).json()["code"]
    description = httpx.get(f"{gateway_url}/problems/{code}")
    assert description.status_code == 200
    assert description.json() == {"code": code, "status": 422, "title": "The request is not valid"}
    catalogue = {p["code"] for p in httpx.get(f"{gateway_url}/problems").json()}
    assert {"invalid_credentials", "rate_limited", "username_taken", "malformed_body"} <= catalogue


ODD_BODIES = [
    "null",
    "{}",
    '{"username": null, "password": null}',
    '{"username": {"$ne": ""}, "password": {"$ne": ""}}',
    '{"username": "\\u0000", "password": "\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000"}',
    '{"username": "' + "\U0001f600" * 40 + '", "password": "emoji emoji"}',
    '{"username": 1e400, "password": 123456789012345678901234567890}',
    '{"refresh_token": ["a"], "email": true, "display_name": 3.5}',
    "[" * 200 + "]" * 200,
    '{"username": "a", "username": "b", "password": "duplicate keys"}',
]


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login", "/auth/refresh", "/auth/logout"])
@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_never_cause_a_server_error(api: httpx.Client, path: str, body: str) -> None:
    response = api.post(path, content=body, headers=JSON)
    assert 400 <= response.status_code < 500 or response.status_code in (200, 201, 202, 204), response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_profile_updates_never_cause_a_server_error(
    api: httpx.Client, members: Members, body: str
) -> None:
    member = members.create()
    response = api.patch("/users/me", content=body, headers={**JSON, **member.auth})
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_415(api: httpx.Client, content_type: str) -> None:
    body = '{"username": "someone", "password": "guess guess"}'
    response = api.post("/auth/login", content=body, headers={"Content-Type": content_type})
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json", None]
)
def test_json_media_types_and_a_missing_one_are_read_as_json(
    api: httpx.Client, content_type: str | None
) -> None:
    body = '{"username": "someone", "password": "guess guess"}'
    headers = {"Content-Type": content_type} if content_type else {}
    assert api.post("/auth/login", content=body, headers=headers).status_code == 401
