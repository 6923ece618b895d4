"""The admin panel's sign-in, cookie and CSRF checks, in-process on fakes (the pages over the real
services are tested in a browser: tests/system/gateway/test_admin_panel.py)."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from gateway.app import create_app
from gateway.auth.service import InvalidCredentials, NotAuthenticated, Principal
from gateway.auth.tokens import AccessTokens, InvalidToken
from gateway.http.ratelimit import Decision
from gateway.panel.session import AUDIENCE
from gateway.users.service import Account
from tests.unit.gateway.fakes import FakeAccounts, FakeSessions, NoRateLimits, account, fake_services

SECRET = "s" * 40
PASSWORD = "correct horse battery"


class PanelSessions(FakeSessions):
    """Sessions in memory: any account signs in with :data:`PASSWORD`."""

    def __init__(self, accounts: FakeAccounts) -> None:
        super().__init__(accounts)
        self._access_tokens = AccessTokens(SECRET, 900)
        self.live: dict[uuid.UUID, Account] = {}

    async def open_session(self, login: str, password: str) -> Principal:
        found = next((a for a in self._accounts.by_id.values() if a.username == login), None)
        if found is None or password != PASSWORD:
            raise InvalidCredentials()
        session_id = uuid.uuid4()
        self.live[session_id] = found
        return Principal(account=found, session_id=session_id)

    async def authenticate_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> Principal:
        found = self.live.get(session_id)
        if found is None or found.id != user_id:
            raise NotAuthenticated()
        return Principal(account=found, session_id=session_id)

    async def end_session(self, session_id: uuid.UUID) -> None:
        self.live.pop(session_id, None)


class AllowEveryLogin(NoRateLimits):
    async def login_attempt(self, scope: str, client: str, login: str) -> Decision:
        return Decision(allowed=True, limit=10, remaining=9, reset_after=60)


@pytest.fixture
def sessions() -> PanelSessions:
    admin = dataclasses.replace(account("ada"), role="admin")
    return PanelSessions(FakeAccounts([admin, account("bob")]))


@pytest.fixture
def client(sessions: PanelSessions) -> Iterator[TestClient[Litestar]]:
    services = dataclasses.replace(fake_services(), sessions=sessions, rate_limiter=AllowEveryLogin())
    with TestClient(create_app(services=services), base_url="https://testserver.local") as test_client:
        yield test_client


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found[1]


def sign_in(client: TestClient[Litestar], username: str) -> str:
    """Sign in through the form; the answer's CSRF token for the pages after."""
    token = form_token(client.get("/admin/login").text)
    answer = client.post(
        "/admin/login",
        data={"csrf": token, "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_pages_need_a_sign_in(client: TestClient[Litestar]) -> None:
    for path in ("/admin", "/admin/users", "/admin/reports", "/admin/audit"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/admin/login")


def test_the_sign_in_page_is_html_with_a_strict_form_cookie(client: TestClient[Litestar]) -> None:
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith("flock_admin_login=")
    for attribute in ("httponly", "samesite=strict", "path=/admin", "secure"):
        assert attribute in cookie
    assert '<link rel="stylesheet" href="/admin/static/panel.css">' in page.text


def test_the_stylesheet_is_served_by_the_gateway(client: TestClient[Litestar]) -> None:
    css = client.get("/admin/static/panel.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_a_sign_in_without_the_form_token_is_refused(client: TestClient[Litestar]) -> None:
    client.get("/admin/login")
    answer = client.post("/admin/login", data={"username": "ada", "password": PASSWORD})
    assert answer.status_code == 403
    assert "flock_admin=" not in answer.headers.get("set-cookie", "")


def test_a_plain_member_gets_no_session(client: TestClient[Litestar], sessions: PanelSessions) -> None:
    token = form_token(client.get("/admin/login").text)
    answer = client.post("/admin/login", data={"csrf": token, "username": "bob", "password": PASSWORD})
    assert answer.status_code == 403
    assert "The admin panel is for moderators and admins." in answer.text
    assert "flock_admin=" not in answer.headers.get("set-cookie", "")
    assert sessions.live == {}


def test_wrong_credentials_show_the_service_message(client: TestClient[Litestar]) -> None:
    token = form_token(client.get("/admin/login").text)
    answer = client.post("/admin/login", data={"csrf": token, "username": "ada", "password": "nope"})
    assert answer.status_code == 401
    assert "Wrong username/e-mail or password." in answer.text


def test_staff_sign_in_with_a_cookie_of_its_own_audience(
    client: TestClient[Litestar], sessions: PanelSessions
) -> None:
    assert sign_in(client, "ada") == "/admin"
    value = client.cookies["flock_admin"]
    [session_id] = sessions.live
    assert AccessTokens(SECRET, 900).verify(value, audience=AUDIENCE).session_id == session_id
    with pytest.raises(InvalidToken):
        AccessTokens(SECRET, 900).verify(value)  # what the API's bearer check does
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_sign_out_needs_the_csrf_token_and_ends_the_session(
    client: TestClient[Litestar], sessions: PanelSessions
) -> None:
    sign_in(client, "ada")
    [session_id] = sessions.live
    assert client.post("/admin/logout", data={}).status_code == 403
    assert client.post("/admin/logout", data={"csrf": "0" * 64}).status_code == 403
    assert session_id in sessions.live
    token = sessions.tokens.mac(f"admin-panel-csrf:{session_id}")
    answer = client.post("/admin/logout", data={"csrf": token}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin/login")
    assert sessions.live == {}


def test_the_panel_is_not_in_the_openapi_document(client: TestClient[Litestar]) -> None:
    paths = client.get("/docs/openapi.json").json()["paths"]
    assert [path for path in paths if path.startswith("/admin")] == []
