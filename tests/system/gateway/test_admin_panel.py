"""The admin panel (``/admin``) in a real browser: headless Chromium from Debian's package, driven by
Playwright, against the real services. Staff sign in with their account, find a member and suspend
them (the member's wall is then gone from the REST API), decide a report; plain members are refused,
and a form without its CSRF token is refused.

``FLOCK_SCREENSHOTS=1`` also writes the README's screenshot of the users page."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from gateway.moderation.command_line import promote
from tests.conftest import sql
from tests.factories import Member, Members, Posts, api_client, client_address

CHROMIUM = Path("/usr/bin/chromium")
T = TypeVar("T")
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "images" / "admin-users.png"


@pytest.fixture(scope="module")  # sync Playwright runs a loop: end it with this module
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session: Debian's, never a browser Playwright downloads."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) from a client address of its own (its own sign-in
    budget: the gateway trusts X-Forwarded-For from 127.0.0.1, as from a proxy)."""
    context = browser.new_context(
        extra_http_headers={"X-Forwarded-For": client_address()}, viewport={"width": 1280, "height": 760}
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def db_url(system_env: dict[str, str]) -> str:
    return system_env["FLOCK_GATEWAY_DB_URL"]


def off_loop(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` in a thread of its own: Playwright's sync API keeps an event loop running in
    this one, so ``asyncio.run`` cannot start here."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(call, *args).result()


@pytest.fixture
def admin(members: Members, db_url: str) -> Member:
    member = members.create(display_name="Ada Admin")
    off_loop(asyncio.run, promote(db_url, member.username, "admin"))
    return member


def sign_in(page: Page, gateway_url: str, member: Member) -> None:
    page.goto(f"{gateway_url}/admin/login")
    page.get_by_label("Username or e-mail").fill(member.username)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Sign in").click()


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.1)


def wall_shows(api: httpx.Client, username: str, post_id: str) -> bool:
    """Whether ``username``'s public wall, read anonymously, lists ``post_id``."""
    wall = api.get(f"/users/{username}/posts")
    if wall.status_code == 404:
        return False
    assert wall.status_code == 200, wall.text
    return post_id in [item["id"] for item in wall.json()["items"]]


def test_an_admin_suspends_a_member_and_their_wall_is_gone_from_the_api(
    page: Page, gateway_url: str, admin: Member, members: Members, posts: Posts
) -> None:
    member = members.create(display_name="Spammy Sam")
    post = posts.create(member, "buy cheap watches")
    with api_client(gateway_url) as api:
        assert wall_shows(api, member.username, post["id"])

        sign_in(page, gateway_url, admin)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        page.get_by_role("link", name="Users").first.click()
        page.get_by_label("Search").fill(member.username)
        page.get_by_role("button", name="Search").click()
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Spammy Sam")
        expect(rows.first).to_contain_text("active")
        rows.first.get_by_role("link", name=member.username).click()

        suspend = page.locator("form#suspend")
        suspend.locator("input[name=duration]").fill("2")
        suspend.locator("select[name=unit]").select_option("hours")
        suspend.get_by_label("Reason").fill("selling watches")
        suspend.get_by_role("button", name="Suspend").click()
        expect(page.get_by_role("status")).to_have_text("Account suspended.")
        expect(page.locator("#status")).to_have_text("suspended")

        eventually(lambda: not wall_shows(api, member.username, post["id"]))

    # The same service layer: the action is in the audit log, with its reason and actor.
    page.get_by_role("link", name="Audit log").first.click()
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("suspend")
    expect(first).to_contain_text("selling watches")
    expect(first).to_contain_text(admin.username)


def test_a_plain_member_is_refused_and_gets_no_session(
    page: Page, gateway_url: str, members: Members, db_url: str
) -> None:
    member = members.create()
    sign_in(page, gateway_url, member)
    expect(page.get_by_role("alert")).to_have_text("The admin panel is for moderators and admins.")
    assert [c["name"] for c in page.context.cookies() if c["name"] == "flock_admin"] == []
    page.goto(f"{gateway_url}/admin/users")
    assert page.url == f"{gateway_url}/admin/login"
    # The login session the password opened was closed at once.
    sessions = off_loop(
        sql,
        db_url,
        "SELECT s.revoked_reason FROM auth_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE u.username = $1 AND s.revoked_at IS NULL",
        member.username,
    )
    assert len(sessions) == 1  # the factory's API login only


def test_a_moderator_works_without_the_admin_only_parts_and_the_rules_still_apply(
    page: Page, gateway_url: str, members: Members, db_url: str
) -> None:
    moderator, member = members.create(), members.create()
    off_loop(asyncio.run, promote(db_url, moderator.username, "moderator"))
    sign_in(page, gateway_url, moderator)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto(f"{gateway_url}/admin/users/{member.username}")
    expect(page.locator("form#suspend")).to_be_visible()
    expect(page.locator("form#disable, form#role-change, input[name=permanent]")).to_have_count(0)
    audit_page = page.goto(f"{gateway_url}/admin/audit")
    assert audit_page is not None
    assert audit_page.status == 403
    # A form the page does not offer, sent anyway with a valid token: the service's rule refuses it.
    page.goto(f"{gateway_url}/admin/users/{member.username}")
    token = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    disable = page.request.post(
        f"{gateway_url}/admin/users/{member.username}/disable",
        form={"csrf": token, "reason": "trying"},
        max_redirects=0,
    )
    assert disable.status == 403
    assert "Only admins may do this" in disable.text()


def test_a_demoted_moderator_loses_the_panel_on_the_next_request(
    page: Page, gateway_url: str, members: Members, db_url: str
) -> None:
    moderator = members.create()
    off_loop(asyncio.run, promote(db_url, moderator.username, "moderator"))
    sign_in(page, gateway_url, moderator)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    off_loop(asyncio.run, promote(db_url, moderator.username, "user"))
    refused = page.goto(f"{gateway_url}/admin/users")
    assert refused is not None
    assert refused.status == 403
    expect(page.get_by_role("alert")).to_have_text("The admin panel is for moderators and admins.")


def test_the_session_cookie_is_strict_http_only_and_no_api_token(
    page: Page, gateway_url: str, admin: Member
) -> None:
    sign_in(page, gateway_url, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    [session] = [c for c in page.context.cookies() if c["name"] == "flock_admin"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["path"] == "/admin"
    with api_client(gateway_url) as api:
        me = api.get("/users/me", headers={"Authorization": f"Bearer {session['value']}"})
        assert me.status_code == 401
        # And an API access token is no panel cookie.
        page.context.add_cookies(
            [{"name": "flock_admin", "value": admin.access_token, "url": f"{gateway_url}/admin"}]
        )
    page.goto(f"{gateway_url}/admin/users")
    assert page.url == f"{gateway_url}/admin/login"


def test_a_form_without_its_csrf_token_is_refused(
    page: Page, gateway_url: str, admin: Member, members: Members
) -> None:
    member = members.create()
    sign_in(page, gateway_url, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    action = f"{gateway_url}/admin/users/{member.username}/suspend"
    body = {"duration": "1", "unit": "days", "reason": "forged"}
    for token in ({}, {"csrf": "0" * 64}):
        forged = page.request.post(action, form={**body, **token}, max_redirects=0)
        assert forged.status == 403
        assert "CSRF token is missing or wrong" in forged.text()
    with api_client(gateway_url) as api:
        assert api.get(f"/users/{member.username}").status_code == 200  # still active, still shown
    # Sign-out needs the token too, and then ends the session.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{gateway_url}/admin")
    assert page.url == f"{gateway_url}/admin/login"


def test_staff_decide_a_report_from_the_queue_seeing_the_reported_post(
    page: Page, gateway_url: str, admin: Member, members: Members, posts: Posts
) -> None:
    author, reporter = members.create(), members.create()
    post = posts.create(author, "a post someone reports")
    with api_client(gateway_url) as api:
        filed = api.post(
            "/reports",
            json={"target_type": "post", "target_id": post["id"], "category": "spam", "text": "ads"},
            headers=reporter.auth,
        )
        assert filed.status_code == 201, filed.text
        sign_in(page, gateway_url, admin)
        page.get_by_role("link", name="Reports").first.click()
        row = page.locator("tbody tr", has_text="ads")
        expect(row).to_have_count(1)
        row.get_by_role("link").click()
        expect(page.locator("#content")).to_contain_text("a post someone reports")
        expect(page.locator("#author")).to_contain_text(author.username)
        decide = page.locator("form#decide")
        decide.locator("select[name=action]").select_option("suspend")
        decide.locator("input[name=duration]").fill("1")
        decide.get_by_label("Note").fill("advertising")
        decide.get_by_role("button", name="Decide").click()
        expect(page.get_by_role("status")).to_have_text("Report resolved.")
        expect(page.locator("#report-status")).to_have_text("resolved")
        assert api.get(f"/users/{author.username}").status_code == 404  # suspended: hidden
    page.goto(f"{gateway_url}/admin/reports")
    expect(page.locator("tbody tr", has_text="ads")).to_have_count(0)


@pytest.mark.skipif(os.environ.get("FLOCK_SCREENSHOTS") != "1", reason="FLOCK_SCREENSHOTS=1 writes it")
def test_screenshot_of_the_users_page(
    page: Page, gateway_url: str, admin: Member, members: Members, posts: Posts, db_url: str
) -> None:
    """The README's picture: a few members with posts, a moderator, a suspension."""
    made = {}
    for name in ("Grace Hopper", "Alan Turing", "Barbara Liskov", "Mallory Spam"):
        username = f"{name.split()[0].lower()}_{secrets.token_hex(2)}"
        made[name] = members.create(username=username, email=f"{username}@example.org", display_name=name)
    for name, count in (("Grace Hopper", 3), ("Alan Turing", 1), ("Mallory Spam", 2)):
        for _ in range(count):
            posts.create(made[name])
    off_loop(asyncio.run, promote(db_url, made["Barbara Liskov"].username, "moderator"))
    with api_client(gateway_url) as api:
        suspended = api.post(
            f"/admin/users/{made['Mallory Spam'].username}/suspend",
            json={"duration": 7 * 86400, "reason": "spam links"},
            headers=admin.auth,
        )
        assert suspended.status_code == 200, suspended.text
    sign_in(page, gateway_url, admin)
    page.goto(f"{gateway_url}/admin/users")
    page.set_viewport_size({"width": 1280, "height": 480})
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size <= 200_000
