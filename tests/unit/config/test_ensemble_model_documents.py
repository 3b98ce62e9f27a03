"""Every ensemble document the validator accepts builds, and round-trips unchanged.

Documents are generated from `schema/ensemble.schema.json` itself (with agent names made unique
and `depends_on` pointing at earlier agents, so that the graph checks pass too), written as YAML,
and read through the validator as a file would be.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from llm_orc.config.ensemble import Ensemble
from llm_orc.schemas import load_schema
from llm_orc.validation import validate_ensemble_data, validate_ensemble_text
from support.schema_documents import JSON_VALUES, documents

SCHEMA = load_schema("ensemble")
SCHEMA_DOCUMENTS = documents(SCHEMA, SCHEMA)
CI_SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def ensemble_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid ensemble whose agent graph is valid too."""
    document: dict[str, Any] = draw(SCHEMA_DOCUMENTS)
    names: list[str] = []
    for index, agent in enumerate(document["agents"]):
        if agent["name"] in names:
            agent["name"] = f"{agent['name']}-{index}"
        if "depends_on" in agent:
            targets = [draw(st.sampled_from(names)) for _ in agent["depends_on"] if names]
            agent["depends_on"] = [
                {**item, "agent_name": target} if isinstance(item, dict) else target
                for item, target in zip(agent["depends_on"], targets, strict=False)
            ]
        names.append(agent["name"])
    return document


@st.composite
def whole_floats(draw: st.DrawFn, value: Any) -> Any:
    """VALUE with some integers written as floats (`2.0`): still integers to JSON Schema."""
    chance = draw(st.randoms(use_true_random=False))

    def convert(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: convert(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [convert(inner) for inner in item]
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) < 2**53:
            return float(item) if chance.random() < 0.5 else item
        return item

    return convert(value)


def as_yaml(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@CI_SETTINGS
@given(ensemble_documents().flatmap(whole_floats))
def test_every_document_the_validator_accepts_builds_and_round_trips(
    document: dict[str, Any],
) -> None:
    report = validate_ensemble_text(as_yaml(document))
    assume(report.ok)
    built = Ensemble.from_document(report.data)
    again = built.to_document()
    assert json.loads(json.dumps(again, allow_nan=False)) == again  # JSON, as the schema says
    revalidated = validate_ensemble_text(as_yaml(again))
    assert revalidated.ok, [d.message for d in revalidated.errors]
    assert validate_ensemble_data(again).ok  # as the runner checks ensembles built in code
    assert Ensemble.from_document(revalidated.data) == built


UNKNOWN_KEYS = st.text(min_size=1, max_size=12).filter(
    lambda key: (
        key not in SCHEMA["properties"] and key not in SCHEMA["$defs"]["agent"]["properties"]
    )
)


@settings(CI_SETTINGS, max_examples=60)
@given(
    ensemble_documents(),
    st.dictionaries(UNKNOWN_KEYS, JSON_VALUES, max_size=3),
    st.dictionaries(UNKNOWN_KEYS, JSON_VALUES, max_size=3),
)
def test_keys_the_schema_does_not_know_do_not_change_what_builds(
    document: dict[str, Any], top: dict[str, Any], per_agent: dict[str, Any]
) -> None:
    report = validate_ensemble_text(as_yaml(document))
    assume(report.ok)
    noisy = {**top, **report.data}
    noisy["agents"] = [{**per_agent, **agent} for agent in report.data["agents"]]
    assert Ensemble.from_document(noisy) == Ensemble.from_document(report.data)
