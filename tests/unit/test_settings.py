from __future__ import annotations

import pytest

from gateway.settings import RateLimit, SettingsError, env_name, load_database_settings, load_settings

REQUIRED = {"FLOCK_GATEWAY_DB_URL": "postgresql://localhost/gateway", "FLOCK_JWT_SECRET": "s" * 32}


def test_defaults_apply_when_only_the_required_settings_are_given() -> None:
    settings = load_settings(REQUIRED)
    assert (settings.host, settings.port, settings.access_token_ttl) == ("127.0.0.1", 8000, 900)
    assert settings.rate_limit == RateLimit(requests=10, period_seconds=60)


def test_values_are_converted_from_text() -> None:
    settings = load_settings({**REQUIRED, "FLOCK_GATEWAY_PORT": "9001", "FLOCK_ACCESS_TOKEN_TTL": "60"})
    assert (settings.port, settings.access_token_ttl) == (9001, 60)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "FLOCK_GATEWAY_DB_URL"),
        ({"FLOCK_GATEWAY_DB_URL": "postgresql://x/y"}, "FLOCK_JWT_SECRET"),
        ({**REQUIRED, "FLOCK_JWT_SECRET": "too short"}, "FLOCK_JWT_SECRET"),
        ({**REQUIRED, "FLOCK_GATEWAY_PORT": "eighty"}, "FLOCK_GATEWAY_PORT"),
        ({**REQUIRED, "FLOCK_GATEWAY_PORT": "70000"}, "FLOCK_GATEWAY_PORT"),
        ({**REQUIRED, "FLOCK_AUTH_RATE_LIMIT": "lots"}, "FLOCK_AUTH_RATE_LIMIT"),
        ({**REQUIRED, "FLOCK_AUTH_RATE_LIMIT": "0/minute"}, "FLOCK_AUTH_RATE_LIMIT"),
        ({**REQUIRED, "FLOCK_LOG_LEVEL": "loud"}, "FLOCK_LOG_LEVEL"),
    ],
)
def test_a_bad_setting_stops_the_process_naming_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)


def test_migrations_need_only_the_database_address() -> None:
    assert load_database_settings({"FLOCK_GATEWAY_DB_URL": "postgresql://x/y"}).db_url == "postgresql://x/y"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10/minute", RateLimit(10, 60)), (" 5 / second ", RateLimit(5, 1)), ("100/day", RateLimit(100, 86400))],
)
def test_rate_limits_parse(text: str, expected: RateLimit) -> None:
    assert RateLimit.parse(text) == expected


def test_shared_names_and_prefixed_names() -> None:
    assert env_name("jwt_secret") == "FLOCK_JWT_SECRET"
    assert env_name("db_url") == "FLOCK_GATEWAY_DB_URL"
