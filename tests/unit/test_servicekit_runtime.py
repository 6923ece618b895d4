"""The shared runtime's small pieces: backoff bounds, the settings loader's refusals, the command
line's exit codes."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from servicekit import cli
from servicekit.backoff import Backoff
from servicekit.settings import Environment, LogLevel, Port, SettingsError, logging_level


def test_backoff_doubles_from_the_first_delay_up_to_the_cap_each_with_jitter() -> None:
    backoff = Backoff(first=0.1, cap=1.0)
    steps = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    for _ in range(50):
        backoff.reset()
        for step in steps:
            assert step / 2 <= backoff.next() <= step
    assert backoff.failures == len(steps)


def test_backoff_starts_again_after_a_reset_and_survives_a_long_outage() -> None:
    backoff = Backoff(first=0.1, cap=5.0)
    for _ in range(10_000):
        assert backoff.next() <= 5.0
    backoff.reset()
    assert backoff.next() <= 0.1


class Example(msgspec.Struct, frozen=True):
    db_url: Annotated[str, msgspec.Meta(min_length=1)]
    port: Port = 8080
    log_level: LogLevel = "info"


ENVIRONMENT = Environment("FLOCK_EXAMPLE_")


def test_a_field_reads_its_prefixed_variable_or_a_shared_one() -> None:
    assert ENVIRONMENT.name("port") == "FLOCK_EXAMPLE_PORT"
    assert ENVIRONMENT.name("log_level") == "FLOCK_LOG_LEVEL"
    assert ENVIRONMENT.names(Example) == {"FLOCK_EXAMPLE_DB_URL", "FLOCK_EXAMPLE_PORT", "FLOCK_LOG_LEVEL"}
    assert Environment("FLOCK_X_", {"port": "FLOCK_PORT"}).name("port") == "FLOCK_PORT"


def test_settings_are_converted_from_text_with_defaults_for_the_rest() -> None:
    loaded = ENVIRONMENT.load(
        Example, {"FLOCK_EXAMPLE_DB_URL": "postgresql://x/y", "FLOCK_LOG_LEVEL": "TRACE"}
    )
    assert loaded == Example(db_url="postgresql://x/y", port=8080, log_level="TRACE")
    assert ENVIRONMENT.load(Example, {"FLOCK_EXAMPLE_DB_URL": "u", "FLOCK_EXAMPLE_PORT": "9"}).port == 9


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "missing required setting FLOCK_EXAMPLE_DB_URL"),
        ({"FLOCK_EXAMPLE_DB_URL": ""}, "FLOCK_EXAMPLE_DB_URL"),
        ({"FLOCK_EXAMPLE_DB_URL": "u", "FLOCK_EXAMPLE_PORT": "eighty"}, "FLOCK_EXAMPLE_PORT"),
        ({"FLOCK_EXAMPLE_DB_URL": "u", "FLOCK_EXAMPLE_PORT": "0"}, "FLOCK_EXAMPLE_PORT"),
        ({"FLOCK_EXAMPLE_DB_URL": "u", "FLOCK_LOG_LEVEL": "loud"}, "FLOCK_LOG_LEVEL"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_variable_not_its_field(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        ENVIRONMENT.load(Example, environ)
    assert "$." not in str(refused.value)


def test_trace_logs_as_debug() -> None:
    assert (logging_level("trace"), logging_level("Info")) == ("DEBUG", "INFO")


def test_the_first_command_is_the_default_and_success_exits_0() -> None:
    ran: list[str] = []
    commands = {"serve": lambda: ran.append("serve"), "migrate": lambda: ran.append("migrate")}
    assert cli.main("example", commands, []) == 0
    assert cli.main("example", commands, ["migrate"]) == 0
    assert ran == ["serve", "migrate"]


def test_an_unknown_command_prints_the_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main("example", {"serve": lambda: None, "migrate": lambda: None}, ["dance"]) == 2
    assert capsys.readouterr().err.strip() == "usage: python -m example [serve|migrate]"


def test_a_bad_setting_prints_its_message_and_exits_78(capsys: pytest.CaptureFixture[str]) -> None:
    def serve() -> None:
        ENVIRONMENT.load(Example, {})

    assert cli.main("example", {"serve": serve}, ["serve"]) == 78
    assert capsys.readouterr().err.strip() == "example: missing required setting FLOCK_EXAMPLE_DB_URL"
