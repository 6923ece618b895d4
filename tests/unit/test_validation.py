from __future__ import annotations

from gateway.auth.schemas import LoginRequest
from gateway.http.validation import body_field_errors, is_json_media_type, split_message
from gateway.users.schemas import UserCreate


def test_every_bad_field_is_reported_not_just_the_first() -> None:
    errors = dict(body_field_errors(UserCreate, b'{"username": "x", "email": 5, "extra": true}'))
    assert set(errors) == {"username", "email", "password", "extra"}
    assert errors["password"] == "This field is required"
    assert errors["extra"] == "Unknown field"
    assert errors["username"].startswith("Invalid format: 3–30 letters")


def test_a_valid_body_has_no_errors() -> None:
    assert body_field_errors(LoginRequest, b'{"username": "ada", "password": "pw"}') == []


def test_non_objects_and_non_json_are_left_to_msgspec() -> None:
    assert body_field_errors(UserCreate, b"[1]") == []
    assert body_field_errors(UserCreate, b"{") == []


def test_msgspec_paths_are_split_off() -> None:
    assert split_message("Expected `int`, got `str` - at `$.items[0].count`") == (
        "Expected `int`, got `str`",
        "items[0].count",
    )
    assert split_message("Object missing required field `a`") == ("Object missing required field `a`", "")


def test_json_media_types() -> None:
    assert is_json_media_type("application/json")
    assert is_json_media_type("Application/JSON; charset=utf-8")
    assert is_json_media_type("application/problem+json")
    assert not is_json_media_type("text/json+plain")
    assert not is_json_media_type("application/x-www-form-urlencoded")
