"""Typed ensembles: the pydantic view of `schema/ensemble.schema.json`.

The JSON Schema is the published contract (descriptions, the `x-llm-orc-*` markers the validator
and the language server read); these models give typed access to a document the validator has
accepted, and let library users build ensembles in code.

One source of truth, checked rather than generated. The models declare their fields, types,
bounds and defaults in code, so that mypy and editors see real types (`Literal` enums, tuples)
and a damaged schema file cannot break `import llm_orc`. What keeps them equal to the schema is
CI: `tests/unit/config/test_ensemble_model_schema.py` compares them key by key (every schema
property is a field, or the `task` alias, or a key marked ignored/unsupported, and the reverse;
types, enums, bounds and defaults agree), and `test_ensemble_model_documents.py` generates
schema-valid documents and requires every one the validator accepts to build and round-trip.

Built in code the models are strict: an unknown field or a bad value raises `InvalidFieldError`
(a `ValueError`) naming the field, with a suggestion for a near miss. Loaded from a file,
`Ensemble.from_document` keeps only the keys that have a field: the validator has already
reported every other key (ignored ones as warnings), so an ignored key never stops a build.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llm_orc.errors import InvalidFieldError, display_path

Name = Annotated[str, Field(min_length=1)]


class _StrictModel(BaseModel):
    """Frozen, no unknown fields; every construction error is one `InvalidFieldError`. A NaN or
    an infinity stays one in `to_document` (never null), so the validator refuses it."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="constants")
    noun: ClassVar[str] = "value"

    if not TYPE_CHECKING:  # type checkers keep the field-by-field __init__ pydantic declares

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise InvalidFieldError(_problems(type(self), data, exc)) from None

    def __eq__(self, other: object) -> bool:
        """Pydantic's comparison, after the identity check it skips: `to_document` compares
        every agent's `retries` with the shared default (1,000 agents: a millisecond less)."""
        return self is other or super().__eq__(other)

    @classmethod
    def subject(cls, data: Mapping[str, Any]) -> str:
        """How messages name the object being built: `agent 'writer'`, `ensemble`, ..."""
        name = data.get("name")
        return f"{cls.noun} '{name}'" if isinstance(name, str) and name else cls.noun


def _problems(
    model: type[_StrictModel], data: Mapping[str, Any], exc: ValidationError
) -> list[str]:
    """One line per pydantic error, without its URL, naming the field and the object."""
    out: list[str] = []
    subject = model.subject(data)
    errors = exc.errors(include_url=False)
    deeper = {error["loc"][:depth] for error in errors for depth in range(len(error["loc"]))}
    for error in errors:
        if error["loc"] in deeper:  # e.g. "too short" after its only item failed: noise
            continue
        inner = error.get("ctx", {}).get("error")
        if isinstance(inner, InvalidFieldError):  # a nested model built from a mapping
            out.extend(inner.problems)
            continue
        where = ".".join(str(step) for step in error["loc"])
        if error["type"] == "extra_forbidden":
            matches = difflib.get_close_matches(where, list(model.model_fields), n=1, cutoff=0.6)
            hint = f" (did you mean '{matches[0]}'?)" if matches else ""
            out.append(f"{subject}: unknown field '{where}'{hint}")
            continue
        message = str(error["msg"])
        message = message[:1].lower() + message[1:]
        out.append(f"{subject}: '{where}': {message}" if where else f"{subject}: {message}")
    return out


def _known(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of DATA that are fields of MODEL (a document's other keys are dropped)."""
    return {key: value for key, value in data.items() if key in model.model_fields}


class RetryPolicy(_StrictModel):
    """Retries on transient errors, with exponential backoff and full jitter."""

    noun: ClassVar[str] = "retries"

    count: int = Field(default=0, ge=0, le=10)
    initial_delay_seconds: float = Field(default=1.0, ge=0)
    max_delay_seconds: float = Field(default=30.0, ge=0)

    @classmethod
    def from_document(cls, data: Any) -> Any:
        """A document's `retries` value as this model takes it (unknown keys dropped)."""
        return cls(**_known(cls, data)) if isinstance(data, Mapping) else data


class Agent(_StrictModel):
    """One agent of an ensemble."""

    noun: ClassVar[str] = "agent"

    name: Name
    model_profile: Name | None = None
    model: Name | None = None
    provider: Name | None = None
    system_prompt: str | None = None
    prompt_template: str | None = None
    depends_on: tuple[Name, ...] = ()
    on_dependency_failure: Literal["skip", "continue"] = "skip"
    timeout_seconds: float | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    output_format: Literal["text", "json"] = "text"
    output_schema: dict[str, Any] | None = None
    fallback_model_profile: Name | None = None
    retries: RetryPolicy = RetryPolicy()
    options: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_document(cls, data: Any) -> Any:
        """A document's agent as this model takes it (unknown keys dropped)."""
        if not isinstance(data, Mapping):
            return data
        values = _known(cls, data)
        if "retries" in values:
            values["retries"] = RetryPolicy.from_document(values["retries"])
        return cls(**values)

    @field_validator("depends_on", mode="before")
    @classmethod
    def _dependency_names(cls, value: Any) -> Any:
        """Accept names or the public format's `{agent_name: NAME}` items (with nothing else:
        a `condition` is not supported here, so it is an error rather than dropped)."""
        if isinstance(value, list | tuple):
            return tuple(
                item["agent_name"]
                if isinstance(item, dict) and item.keys() == {"agent_name"}
                else item
                for item in value
            )
        return value

    @field_validator("retries", mode="before")
    @classmethod
    def _retry_count(cls, value: Any) -> Any:
        """A bare count (`retries: 2`, also `2.0`, which JSON Schema counts as an integer)."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"count": value}
        return value

    @property
    def json_output(self) -> bool:
        """Whether the agent answers in JSON (`output_format: json` or an `output_schema`)."""
        return self.output_format == "json" or self.output_schema is not None

    @property
    def profile_name(self) -> str:
        """The profile this agent starts from: its own, else `default`."""
        return self.model_profile or "default"


class Ensemble(_StrictModel):
    """A named set of agents linked by `depends_on`."""

    noun: ClassVar[str] = "ensemble"

    name: Name
    description: str = ""
    default_task: str | None = None
    timeout_seconds: float | None = Field(default=None, gt=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    max_cost: float | None = Field(default=None, gt=0)
    """The run's budget in USD: reached, the run stops starting and cancels agents."""
    agents: tuple[Agent, ...] = Field(min_length=1)
    source: Path | None = Field(default=None, exclude=True)
    """The file the ensemble was loaded from, if any."""

    @classmethod
    def from_document(cls, data: Mapping[str, Any], source: Path | None = None) -> Ensemble:
        """Build from a validated document: keys without a field are dropped (the validator
        reported them), and the public `task` alias fills `default_task`.

        A value the models cannot hold raises `InvalidFieldError`, prefixed with SOURCE.
        """
        values = _known(cls, data)
        if values.get("default_task") is None and isinstance(data.get("task"), str):
            values["default_task"] = data["task"]
        values.pop("source", None)
        try:
            agents = values.get("agents")
            if isinstance(agents, list | tuple):
                values["agents"] = tuple(Agent.from_document(item) for item in agents)
            return cls(**values, source=source)
        except InvalidFieldError as exc:
            if source is None:
                raise
            where = display_path(source)
            raise InvalidFieldError([f"{where}: {problem}" for problem in exc.problems]) from None

    def agent(self, name: str) -> Agent:
        """The agent called NAME (KeyError if there is none)."""
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(name)

    def schema_valid_document(self) -> bool:
        """Whether `to_document` is valid against the ensemble schema by construction: the
        models enforce every rule of the schema but one across fields, which holds here (an
        agent with a `model` and no `model_profile` names its `provider`). Proved by
        `tests/unit/config/test_ensemble_model_to_schema.py`; a run of an ensemble built in
        code skips the schema check when this says True (the other checks still run)."""
        return all(
            agent.model is None or agent.model_profile is not None or agent.provider is not None
            for agent in self.agents
        )

    def to_document(self) -> dict[str, Any]:
        """The ensemble as a schema-shaped document (what a YAML file would hold)."""
        doc = self.model_dump(mode="json", exclude_defaults=True, exclude={"source"})
        for agent_doc, agent in zip(doc["agents"], self.agents, strict=True):
            if "retries" in agent_doc:
                agent_doc["retries"] = agent.retries.model_dump(mode="json")
        return doc
