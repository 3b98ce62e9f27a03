"""What a model's tokens cost: table prices (`table.py`) with a profile's own prices on top.

A profile's `price_per_million_*` fields override the table's, field by field. With both an
input and an output price of its own, the table is not consulted; a cache price the profile
does not set is then its input price (a cache is never billed above it). A model whose input or
output price is known neither way costs `None` — unknown, never 0 — with the reason why.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from llm_orc.pricing.table import NotInTable, TableEntry, is_free, look_up

if TYPE_CHECKING:
    from genai_prices.types import ModelPrice

PRICE_FIELDS = {
    "input": "price_per_million_input_tokens",
    "output": "price_per_million_output_tokens",
    "cache_read": "price_per_million_cache_read_tokens",
    "cache_write": "price_per_million_cache_write_tokens",
}
"""Our price kinds and the profile fields that set them (USD per million tokens)."""

_TABLE_KEYS = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write": "cache_write_mtok",
}


@dataclass(frozen=True, slots=True)
class Pricing:
    """How one model's tokens are priced, or why they cannot be."""

    source: str
    """`free`, `table`, `profile`, `table+profile`, or `unknown`."""
    per_million: dict[str, float] = field(default_factory=dict)
    """USD per million tokens by kind (input, output, cache_read, cache_write)."""
    reason: str | None = None
    """For `unknown`: why (one line, saying what to do)."""
    table_model: str | None = None
    """The table's model id (and provider), when the table priced it."""
    _prices: ModelPrice | None = None

    @property
    def known(self) -> bool:
        return self.reason is None

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float | None:
        """USD for these counts (input_tokens includes the cache tokens); None when unknown."""
        if self.reason is not None:
            return None
        if self.source == "free" or (input_tokens == 0 and output_tokens == 0):
            return 0.0
        if self._prices is None:
            rates = self.per_million
            uncached = max(input_tokens - cache_read_tokens - cache_write_tokens, 0)
            return (
                uncached * rates["input"]
                + cache_read_tokens * rates["cache_read"]
                + cache_write_tokens * rates["cache_write"]
                + output_tokens * rates["output"]
            ) / 1_000_000
        import genai_prices

        usage = genai_prices.Usage(
            input_tokens=max(input_tokens, cache_read_tokens + cache_write_tokens),
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            output_tokens=output_tokens,
        )
        return float(self._prices.calc_price(usage)["total_price"])

    def describe(self) -> str:
        """One line for `llm-orc providers` and `plan`."""
        if self.reason is not None:
            return f"cost unknown: {self.reason}"
        if self.source == "free":
            return "free (runs on your own machine or server)"
        if not any(self.per_million.values()):
            return "free (the profile's prices are 0)"
        rates = ", ".join(
            f"${value:.6g}/M {kind.replace('_', ' ')}" for kind, value in self.per_million.items()
        )
        where = {
            "table": f"price table ({self.table_model})",
            "profile": "the profile's prices",
            "table+profile": f"price table ({self.table_model}) with the profile's prices",
        }[self.source]
        return f"{rates} from {where}"


def needs_table(provider: str, overrides: dict[str, float | None]) -> bool:
    """Whether pricing PROVIDER's model with these OVERRIDES reads the price table."""
    own = {kind for kind, value in overrides.items() if value is not None}
    return not {"input", "output"} <= own and not is_free(provider)


def pricing_for(
    provider: str,
    model: str,
    base_url: str | None,
    overrides: dict[str, float | None],
    *,
    profile: str = "",
) -> Pricing:
    """The pricing of MODEL on PROVIDER, with a profile's OVERRIDES (kind -> USD/M or None).

    Looked up once per process for each distinct set of arguments (attempts are priced often).
    """
    own = tuple((kind, value) for kind, value in overrides.items() if value is not None)
    return _pricing(provider, model, base_url, own, profile)


@lru_cache(maxsize=4096)
def _pricing(
    provider: str,
    model: str,
    base_url: str | None,
    own_prices: tuple[tuple[str, float], ...],
    profile: str,
) -> Pricing:
    own = dict(own_prices)
    if "input" in own and "output" in own:
        rates = {
            "input": own["input"],
            "output": own["output"],
            "cache_read": own.get("cache_read", own["input"]),
            "cache_write": own.get("cache_write", own["input"]),
        }
        return Pricing("profile", rates)
    found = look_up(provider, model, base_url)
    if found is None:
        if not own:
            return Pricing("free", dict.fromkeys(_TABLE_KEYS, 0.0))
        base = dict.fromkeys(_TABLE_KEYS, 0.0)
        return Pricing("profile", {**base, **own})
    if isinstance(found, NotInTable):
        fields = " and ".join(PRICE_FIELDS[k] for k in ("input", "output") if k not in own)
        whose = f"profile '{profile}'" if profile else "its profile"
        return Pricing("unknown", reason=f"{found.reason}; set {fields} on {whose}")
    return _from_table(found, own)


def _from_table(found: TableEntry, own: dict[str, float]) -> Pricing:
    prices = copy.copy(found.prices)
    for kind, price in own.items():
        setattr(prices, _TABLE_KEYS[kind], Decimal(str(price)))
    rates: dict[str, float] = {}
    for kind, key in _TABLE_KEYS.items():
        value = getattr(prices, key, None)
        first: object = getattr(value, "base", value)  # tiered prices: the first tier's
        if isinstance(first, Decimal):
            rates[kind] = float(first)
    if "input" not in rates or "output" not in rates:
        missing = " and ".join(PRICE_FIELDS[k] for k in ("input", "output") if k not in rates)
        return Pricing(
            "unknown",
            reason=f"the price table has no token prices for {found.model_id}; set {missing}",
        )
    source = "table+profile" if own else "table"
    return Pricing(
        source, rates, table_model=f"{found.provider_id} {found.model_id}", _prices=prices
    )
