"""Tokens and password hashing on their own, without a server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

import jwt
import pytest
from argon2 import PasswordHasher

from gateway.auth.passwords import Passwords
from gateway.auth.tokens import AccessTokens, InvalidToken, new_refresh_token, refresh_token_digest

SECRET = "k" * 64


def test_access_tokens_round_trip_and_expire() -> None:
    tokens = AccessTokens(SECRET, ttl_seconds=60)
    user, session = uuid.uuid4(), uuid.uuid4()
    claims = tokens.verify(tokens.issue(user, session))
    assert (claims.user_id, claims.session_id, claims.expires_at - claims.issued_at) == (user, session, 60)
    with pytest.raises(InvalidToken):
        tokens.verify(tokens.issue(user, session, now=1_000_000))


def test_a_token_made_with_another_algorithm_is_refused_even_with_the_right_key() -> None:
    forged = jwt.encode({"sub": str(uuid.uuid4())}, SECRET, algorithm="HS384")
    with pytest.raises(InvalidToken):
        AccessTokens(SECRET, 60).verify(forged)


def test_refresh_tokens_are_random_and_stored_as_digests() -> None:
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second
    assert len(first) >= 43
    assert refresh_token_digest(first) == refresh_token_digest(first) != refresh_token_digest(second)


class CountingHasher(PasswordHasher):
    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        CountingHasher.verifications += 1
        return super().verify(hash, password)


def test_an_unknown_account_still_costs_one_verification() -> None:
    passwords = Passwords(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    before = CountingHasher.verifications
    assert asyncio.run(passwords.verify(None, "whatever password")) is False
    assert CountingHasher.verifications == before + 1


def test_rehash_is_needed_only_when_costs_change() -> None:
    cheap = Passwords(time_cost=1, memory_cost=1024, parallelism=1)
    dearer = Passwords(time_cost=2, memory_cost=1024, parallelism=1)
    password_hash = asyncio.run(cheap.hash("a fine password"))
    assert password_hash.startswith("$argon2id$")
    assert not cheap.needs_rehash(password_hash)
    assert dearer.needs_rehash(password_hash)
    assert asyncio.run(dearer.verify(password_hash, "a fine password"))
    assert not asyncio.run(dearer.verify(password_hash, "another password"))
