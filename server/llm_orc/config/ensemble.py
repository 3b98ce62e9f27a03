"""Typed ensembles: pydantic models mirroring `schema/ensemble.schema.json`.

The schema is the source of truth for the shape; these models give typed access after the
validator has accepted a document, and let library users build ensembles in code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RetryPolicy(BaseModel):
    """Retries on transient errors, with exponential backoff and full jitter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(default=0, ge=0, le=10)
    initial_delay_seconds: float = Field(default=1.0, ge=0)
    max_delay_seconds: float = Field(default=30.0, ge=0)


class Agent(BaseModel):
    """One agent of an ensemble."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1)
    model_profile: str | None = None
    model: str | None = None
    provider: str | None = None
    system_prompt: str | None = None
    prompt_template: str | None = None
    depends_on: tuple[str, ...] = ()
    on_dependency_failure: Literal["skip", "continue"] = "skip"
    timeout_seconds: float | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    output_format: Literal["text", "json"] = "text"
    output_schema: dict[str, Any] | None = None
    fallback_model_profile: str | None = None
    retries: RetryPolicy = RetryPolicy()
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("depends_on", mode="before")
    @classmethod
    def _dependency_names(cls, value: Any) -> Any:
        """Accept names or the public format's `{agent_name: NAME}` items."""
        if isinstance(value, list | tuple):
            return tuple(
                item["agent_name"] if isinstance(item, dict) and "agent_name" in item else item
                for item in value
            )
        return value

    @field_validator("retries", mode="before")
    @classmethod
    def _retry_count(cls, value: Any) -> Any:
        if isinstance(value, int):
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


class Ensemble(BaseModel):
    """A named set of agents linked by `depends_on`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1)
    description: str = ""
    default_task: str | None = None
    timeout_seconds: float | None = Field(default=None, gt=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    agents: tuple[Agent, ...] = Field(min_length=1)
    source: Path | None = Field(default=None, exclude=True)
    """The file the ensemble was loaded from, if any."""

    @classmethod
    def from_document(cls, data: dict[str, Any], source: Path | None = None) -> Ensemble:
        """Build from a validated document, honouring the public `task` alias of default_task."""
        values = dict(data)
        if values.get("default_task") is None and isinstance(values.get("task"), str):
            values["default_task"] = values["task"]
        values["source"] = source
        return cls.model_validate(values)

    def agent(self, name: str) -> Agent:
        """The agent called NAME (KeyError if there is none)."""
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(name)

    def to_document(self) -> dict[str, Any]:
        """The ensemble as a schema-shaped document (what a YAML file would hold)."""
        doc = self.model_dump(mode="json", exclude_defaults=True, exclude={"source"})
        for agent_doc, agent in zip(doc["agents"], self.agents, strict=True):
            if "retries" in agent_doc:
                agent_doc["retries"] = agent.retries.model_dump(mode="json")
        return doc
