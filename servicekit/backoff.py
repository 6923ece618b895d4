"""The one backoff: capped exponential delays with jitter, for anything retried until it works (the
outbox relay, the view publisher, the stats consumer's writes)."""

from __future__ import annotations

import random


class Backoff:
    """Delays of about ``first``, twice that, four times... up to ``cap`` seconds, each drawn between
    half and all of its step, so that instances retrying together spread out. :meth:`reset` after a
    success starts again from ``first``."""

    def __init__(self, first: float = 0.1, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self.failures = 0

    def next(self) -> float:
        """The delay before the next attempt (and one more failure counted)."""
        # The exponent is bounded so that a long outage cannot overflow the float.
        step = min(self.cap, self.first * 2 ** min(self.failures, 30))
        self.failures += 1
        return random.uniform(step / 2, step)  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        """Back to the first delay."""
        self.failures = 0
