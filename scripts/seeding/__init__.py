"""Deterministic synthetic data for a running Flock, seeded through its REST API (``just seed``).

:func:`make_plan` decides everything up front from a seed (pure); :func:`seed` carries a plan out
through the API and returns what it seeded (accounts with ids and tokens, post ids). The benchmark
(``scripts/benchmark/load``) seeds through the same functions.
"""

from __future__ import annotations

from scripts.seeding.api import API, PASSWORD, Account, Api, NotUp, SeedError, check_up, client_address
from scripts.seeding.plan import Plan, SeedConfig, fan_in_plan, make_plan, twin_readers_plan
from scripts.seeding.runner import Seeded, seed

__all__ = [
    "API",
    "PASSWORD",
    "Account",
    "Api",
    "NotUp",
    "Plan",
    "SeedConfig",
    "SeedError",
    "Seeded",
    "check_up",
    "client_address",
    "fan_in_plan",
    "make_plan",
    "seed",
    "twin_readers_plan",
]
