"""Login and registration are rate-limited per client address (10 a minute by default), log-ins per
account too (20 an hour, from any address), and every limited answer says how much budget is left."""

from __future__ import annotations

import httpx

from tests.factories import Members, api_client, registration


def test_the_eleventh_attempt_in_a_minute_is_refused_with_retry_after(api: httpx.Client) -> None:
    attempts = [
        api.post("/auth/login", json={"username": "nobody", "password": "guess guess"}) for _ in range(10)
    ]
    assert {response.status_code for response in attempts} == {401}

    refused = api.post("/auth/login", json={"username": "nobody", "password": "guess guess"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "10"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"]


def test_register_and_login_share_one_budget(api: httpx.Client) -> None:
    for _ in range(5):
        api.post("/auth/register", json={"username": "x"})
    for _ in range(5):
        api.post("/auth/login", json={"username": "nobody", "password": "guess guess"})
    assert api.post("/auth/register", json=registration()).status_code == 429


def test_other_addresses_and_other_endpoints_are_not_affected(api: httpx.Client, gateway_url: str) -> None:
    for _ in range(11):
        api.post("/auth/login", json={"username": "nobody", "password": "guess guess"})
    assert api.post("/auth/login", json={"username": "nobody", "password": "guess guess"}).status_code == 429
    assert api.get("/users/nobody").status_code == 404  # not a rate-limited route
    with api_client(gateway_url) as elsewhere:
        assert elsewhere.post("/auth/login", json={"username": "someone", "password": "x"}).status_code == 401


def test_profile_changes_are_limited_too_so_passwords_cannot_be_guessed(
    api: httpx.Client, members: Members
) -> None:
    member = members.create()
    guesses = [
        api.patch(
            "/users/me", headers=member.auth, json={"email": "x@example.org", "current_password": f"guess{i}"}
        )
        for i in range(10)
    ]
    assert {g.json()["code"] for g in guesses} == {"current_password_incorrect"}
    assert api.patch("/users/me", headers=member.auth, json={"bio": "hi"}).status_code == 429


def test_allowed_answers_carry_the_budget_left(api: httpx.Client) -> None:
    first = api.post("/auth/login", json={"username": "budget_probe", "password": "guess guess"})
    second = api.post("/auth/login", json={"username": "budget_probe", "password": "guess guess"})
    assert first.status_code == second.status_code == 401
    assert first.headers["ratelimit-limit"] == "10"
    assert int(second.headers["ratelimit-remaining"]) == int(first.headers["ratelimit-remaining"]) - 1
    assert "retry-after" not in first.headers


def test_guessing_one_accounts_password_from_many_addresses_is_refused(
    members: Members, gateway_url: str
) -> None:
    victim = members.create()  # its first log-in is one of the 20 attempts of the hour
    answers = []
    for _ in range(20):
        with api_client(gateway_url) as fresh_address:
            answers.append(
                fresh_address.post(
                    "/auth/login", json={"username": victim.username, "password": "guess guess"}
                )
            )
    assert {a.status_code for a in answers[:19]} == {401}
    assert answers[19].status_code == 429
    assert answers[19].json()["detail"].startswith("Too many attempts for this account")
    # The limit counts attempts on the login as written: the e-mail address is another key.
    with api_client(gateway_url) as fresh_address:
        by_email = fresh_address.post(
            "/auth/login", json={"username": victim.email, "password": victim.password}
        )
    assert by_email.status_code == 200


def test_refreshing_tokens_is_rate_limited_per_address(api: httpx.Client) -> None:
    answers = [api.post("/auth/refresh", json={"refresh_token": "not-a-token"}) for _ in range(11)]
    assert {a.status_code for a in answers[:10]} == {401}
    assert answers[10].status_code == 429
