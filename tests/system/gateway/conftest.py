from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.factories import Members, Posts, api_client


@pytest.fixture
def api(gateway_url: str) -> Iterator[httpx.Client]:
    """A client of the REST API under /api/v1, from an address of its own."""
    with api_client(gateway_url) as client:
        yield client


@pytest.fixture
def members(gateway_url: str) -> Members:
    return Members(gateway_url)


@pytest.fixture
def posts(gateway_url: str) -> Posts:
    return Posts(gateway_url)
