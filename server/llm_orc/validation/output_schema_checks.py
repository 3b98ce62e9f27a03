"""An agent's `output_schema` must itself be a valid JSON Schema (2020-12)."""

from __future__ import annotations

from collections.abc import Sequence

from llm_orc.validation.diagnostics import Diagnostic
from llm_orc.validation.graph_checks import AgentView
from llm_orc.validation.yaml_index import SourceMap


def output_schema_diagnostics(agents: Sequence[AgentView], source: SourceMap) -> list[Diagnostic]:
    """invalid-output-schema: on the offending part of the schema, else on the whole value."""
    out: list[Diagnostic] = []
    for agent in agents:
        schema = agent.body.get("output_schema")
        if not isinstance(schema, dict):
            continue  # the ensemble schema reports a non-mapping
        from jsonschema import Draft202012Validator  # only for ensembles that use output_schema
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            at = agent.path("output_schema", *error.absolute_path)
            where = at if source.has(at) else agent.path("output_schema")
            out.append(
                Diagnostic(
                    "invalid-output-schema",
                    f"output_schema is not a valid JSON Schema: {error.message}",
                    source.value_range(where),
                )
            )
    return out
