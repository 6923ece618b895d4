"""The gateway's routes, in-process on fake services: the HTTP layer alone (status codes, problem
bodies, guards, defaults), in milliseconds and without any server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from gateway.app import create_app
from gateway.services import Services
from servicekit import errors
from tests.unit.gateway.fakes import FakePosts, FakeStats, account, fake_services

ADA = account("ada")
PRIVATE = account("pia", is_private=True)


@pytest.fixture
def services() -> Services:
    return fake_services(ADA, PRIVATE)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


def signed_in(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer token-{who}"}


def test_a_post_is_read_with_its_author(client: TestClient[Litestar], services: Services) -> None:
    assert isinstance(services.posts, FakePosts)
    post = services.posts.add(ADA, "hello")
    response = client.get(f"/api/v1/posts/{post.id}")
    assert response.status_code == 200
    assert response.json()["author"] == {"id": str(ADA.id), "username": "ada", "display_name": "Ada"}


def test_a_service_error_becomes_its_problem(client: TestClient[Litestar]) -> None:
    response = client.get(f"/api/v1/posts/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "post_not_found"
    assert response.json()["type"] == "/problems/post_not_found"


def test_a_guarded_route_refuses_an_anonymous_caller_before_reading_the_body(
    client: TestClient[Litestar],
) -> None:
    response = client.delete(f"/api/v1/posts/{uuid.uuid4()}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_private_account_writes_for_its_followers_by_default(
    client: TestClient[Litestar], services: Services
) -> None:
    response = client.post("/api/v1/posts", json={"text": "just for you"}, headers=signed_in("pia"))
    assert response.status_code == 201
    assert isinstance(services.posts, FakePosts)
    assert services.posts.created == [("just for you", "followers")]


def test_an_unknown_user_has_no_wall(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/users/nobody_here/posts")
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


def test_my_stats_default_to_the_last_thirty_days(client: TestClient[Litestar], services: Services) -> None:
    response = client.get("/api/v1/users/me/stats?to=2026-11-30", headers=signed_in("ada"))
    assert response.status_code == 200
    assert response.json()["from"] == "2026-11-01"
    assert isinstance(services.stats, FakeStats)
    assert [(str(a), str(b)) for a, b in services.stats.asked] == [("2026-11-01", "2026-11-30")]


def test_a_stats_range_over_a_year_names_from(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/users/me/stats?from=2024-01-01&to=2026-01-01", headers=signed_in("ada"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "from"


def test_a_forged_cursor_is_refused_before_any_call(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/users/ada/posts?cursor=not%20a%20cursor!")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_the_problem_catalog_lists_every_domain_error(client: TestClient[Litestar]) -> None:
    codes = {problem["code"] for problem in client.get("/problems").json()}
    assert {"username_taken", "private_account", "post_not_found", "invalid_cursor", "timeout"} <= codes
    assert {"unavailable", "outcome_unknown"} <= codes


def test_a_comment_repeated_with_its_key_is_marked_replayed(
    client: TestClient[Litestar], services: Services
) -> None:
    assert isinstance(services.posts, FakePosts)
    post = services.posts.add(ADA, "hello")
    headers = {"Idempotency-Key": "comment-1", **signed_in("ada")}
    first = client.post(f"/api/v1/posts/{post.id}/comments", json={"text": "hi"}, headers=headers)
    again = client.post(f"/api/v1/posts/{post.id}/comments", json={"text": "hi"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    ("failure", "code", "retry_after"),
    [
        (errors.OutcomeUnknown("It may or may not have been made."), "outcome_unknown", "1"),
        (errors.Unavailable("Nothing was changed."), "unavailable", "2"),
    ],
)
def test_a_lost_answer_and_an_unreachable_service_are_told_apart(
    client: TestClient[Litestar], services: Services, failure: errors.Unavailable, code: str, retry_after: str
) -> None:
    assert isinstance(services.posts, FakePosts)
    post = services.posts.add(ADA, "hello")
    services.posts.failure = failure
    response = client.post(f"/api/v1/posts/{post.id}/comments", json={"text": "hi"}, headers=signed_in("ada"))
    assert response.status_code == 503
    assert (response.json()["code"], response.json()["detail"]) == (code, str(failure))
    assert response.headers["retry-after"] == retry_after
