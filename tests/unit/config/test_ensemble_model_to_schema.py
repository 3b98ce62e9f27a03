"""Whatever the models accept, their document is schema-valid: an ensemble built in code need
not be checked against `schema/ensemble.schema.json` again (`Ensemble.schema_valid_document`).

Models are built from arbitrary values, right and wrong (numbers of every kind, NaN and
infinities, out-of-range values, bare retry counts, dependency mappings, strings for numbers);
whatever builds must give a document the schema accepts. The schema's one rule across fields
(an agent naming a `model` without a `model_profile` names its `provider` too) is not the
models' to enforce: `schema_valid_document` says False for an ensemble that breaks it, and the
schema is checked as for a file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.errors import InvalidFieldError
from llm_orc.schemas import load_schema
from llm_orc.validation.diagnostics import Diagnostic
from llm_orc.validation.schema_errors import schema_diagnostics
from llm_orc.validation.yaml_index import SourceMap
from support.schema_documents import JSON_VALUES

SCHEMA = Draft202012Validator(load_schema("ensemble"))
CI_SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

WILD = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "1", "x", -0.0, 1e308, -1e-300])
)
"""Values of every kind for any field: most are refused, some are converted."""


def _mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """VALID values seven times in eight, else a WILD one."""
    return st.integers(min_value=0, max_value=7).flatmap(lambda roll: WILD if roll == 0 else valid)


def _number(**bounds: Any) -> st.SearchStrategy[Any]:
    return _mostly(
        st.floats(**bounds, allow_nan=False)
        | st.integers(min_value=0, max_value=10)
        | st.just(float("inf"))
    )


NAMES = _mostly(st.text(min_size=1, max_size=3))
TEXTS = _mostly(st.text(max_size=4))


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A few of FIELDS (a handful: each may be refused), each with a value from its strategy."""
    names = st.lists(st.sampled_from(sorted(fields)), max_size=5, unique=True)
    return names.flatmap(lambda chosen: st.fixed_dictionaries({n: fields[n] for n in chosen}))


AGENT_FIELDS = _optional(
    model_profile=NAMES,
    model=NAMES,
    provider=NAMES,
    system_prompt=TEXTS,
    prompt_template=TEXTS,
    depends_on=_mostly(
        st.lists(
            st.text(max_size=3) | st.fixed_dictionaries({"agent_name": st.text(max_size=3)}),
            max_size=3,
        )
    ),
    on_dependency_failure=_mostly(st.sampled_from(["skip", "continue", "halt"])),
    timeout_seconds=_number(min_value=0),
    temperature=_number(min_value=0, max_value=2.5),
    max_tokens=_mostly(st.integers(min_value=0, max_value=5) | st.floats(0, 5)),
    output_format=_mostly(st.sampled_from(["text", "json", "xml"])),
    output_schema=_mostly(st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=2)),
    fallback_model_profile=NAMES,
    retries=_mostly(
        st.integers(min_value=-1, max_value=11)
        | st.floats(0, 11)
        | _optional(
            count=_mostly(st.integers(min_value=0, max_value=11)),
            initial_delay_seconds=_number(min_value=0),
            max_delay_seconds=_number(min_value=0),
        )
    ),
    options=_mostly(st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=3)),
)
ENSEMBLE_FIELDS = _optional(
    description=TEXTS,
    default_task=TEXTS,
    timeout_seconds=_number(min_value=0),
    max_concurrency=_mostly(st.integers(min_value=0, max_value=5) | st.floats(0, 5)),
    max_cost=_number(min_value=0),
)


def _schema_check(document: dict[str, Any]) -> list[Diagnostic]:
    source = SourceMap.without_positions()
    return schema_diagnostics(
        "ensemble", document, source, root_noun="the ensemble", item_nouns={"agents": "agent"}
    )


def _built(build: Any) -> Any:
    """What BUILD builds, or nothing (the models refused the values: nothing to check)."""
    try:
        return build()
    except InvalidFieldError:
        return None


@st.composite
def ensembles(draw: st.DrawFn) -> Ensemble | None:
    agents = []
    for index in range(draw(st.integers(min_value=1, max_value=3))):
        fields = draw(AGENT_FIELDS)
        agent = _built(lambda fields=fields, index=index: Agent(name=f"a{index}", **fields))
        if agent is not None:
            agents.append(agent)
    if not agents:
        return None
    fields = draw(ENSEMBLE_FIELDS)
    return _built(
        lambda: Ensemble(name=draw(st.text(min_size=1, max_size=3)), agents=agents, **fields)
    )


@CI_SETTINGS
@given(ensembles())
def test_what_the_models_accept_the_schema_accepts(ensemble: Ensemble | None) -> None:
    assume(ensemble is not None)
    assert ensemble is not None
    document = ensemble.to_document()
    errors = [error.message for error in SCHEMA.iter_errors(document)]
    if ensemble.schema_valid_document():
        assert errors == []
        # Nor does the validator's own schema check say anything (no warning either: no
        # field of the models is a key the schema marks ignored or unsupported).
        assert _schema_check(document) == []
    else:  # the cross-field rule, which only the schema says
        assert errors
        assert any(a.model and not a.model_profile and not a.provider for a in ensemble.agents)


def test_an_agent_with_a_model_and_no_profile_or_provider_is_left_to_the_schema() -> None:
    lone = Ensemble(name="e", agents=(Agent(name="a", model="m"),))
    assert not lone.schema_valid_document()
    assert list(SCHEMA.iter_errors(lone.to_document()))
    named = Ensemble(name="e", agents=(Agent(name="a", model="m", provider="p"),))
    assert named.schema_valid_document()
