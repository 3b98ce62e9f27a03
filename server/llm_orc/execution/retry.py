"""Backoff between retries: exponential, capped, with full jitter."""

from __future__ import annotations

import random

from llm_orc.config.ensemble import RetryPolicy


def backoff_delay(policy: RetryPolicy, retry_number: int, rng: random.Random) -> float:
    """Seconds to wait before retry RETRY_NUMBER (1-based): uniform in [0, initial * 2^(n-1)]."""
    ceiling = min(policy.max_delay_seconds, policy.initial_delay_seconds * 2 ** (retry_number - 1))
    return rng.uniform(0.0, ceiling) if ceiling > 0 else 0.0
