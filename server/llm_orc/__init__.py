"""llm-orc: run ensembles of LLM agents.

    import asyncio, llm_orc

    ensemble = llm_orc.load_ensemble("code-review")
    result = asyncio.run(llm_orc.run(ensemble, "def add(a, b): return a - b"))
    print(result.final_answer)

Names are imported on first use, so that `import llm_orc` (and the CLI) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from llm_orc.config.ensemble import Agent, Ensemble, RetryPolicy
    from llm_orc.config.loading import load_ensemble
    from llm_orc.config.profiles import ModelProfile
    from llm_orc.config.workspace import Workspace
    from llm_orc.errors import (
        EnsembleNotFoundError,
        InputError,
        InvalidEnsembleError,
        InvalidFieldError,
        InvalidResultError,
        LlmOrcError,
    )
    from llm_orc.execution.events import (
        AgentCancelled,
        AgentFailed,
        AgentFallback,
        AgentFinished,
        AgentQueued,
        AgentRetrying,
        AgentSkipped,
        AgentStarted,
        AgentTextDelta,
        EnsembleFinished,
        EnsembleStarted,
        RunEvent,
        Usage,
        event_to_dict,
    )
    from llm_orc.execution.result import AgentResult, AgentStatus, RunResult, RunStatus
    from llm_orc.execution.runner import run, stream
    from llm_orc.execution.scheduler import RunOptions
    from llm_orc.execution.service import Run, RunService, UnknownRunError
    from llm_orc.providers.base import (
        Generation,
        GenerationRequest,
        ProviderError,
        TransientProviderError,
    )
    from llm_orc.providers.registry import register_provider
    from llm_orc.validation import validate_ensemble_text

_EXPORTS = {
    "Agent": "llm_orc.config.ensemble",
    "Ensemble": "llm_orc.config.ensemble",
    "RetryPolicy": "llm_orc.config.ensemble",
    "load_ensemble": "llm_orc.config.loading",
    "ModelProfile": "llm_orc.config.profiles",
    "Workspace": "llm_orc.config.workspace",
    "EnsembleNotFoundError": "llm_orc.errors",
    "InputError": "llm_orc.errors",
    "InvalidEnsembleError": "llm_orc.errors",
    "InvalidFieldError": "llm_orc.errors",
    "InvalidResultError": "llm_orc.errors",
    "LlmOrcError": "llm_orc.errors",
    "AgentCancelled": "llm_orc.execution.events",
    "AgentFailed": "llm_orc.execution.events",
    "AgentFallback": "llm_orc.execution.events",
    "AgentFinished": "llm_orc.execution.events",
    "AgentQueued": "llm_orc.execution.events",
    "AgentRetrying": "llm_orc.execution.events",
    "AgentSkipped": "llm_orc.execution.events",
    "AgentStarted": "llm_orc.execution.events",
    "AgentTextDelta": "llm_orc.execution.events",
    "EnsembleFinished": "llm_orc.execution.events",
    "EnsembleStarted": "llm_orc.execution.events",
    "RunEvent": "llm_orc.execution.events",
    "Usage": "llm_orc.execution.events",
    "event_to_dict": "llm_orc.execution.events",
    "AgentResult": "llm_orc.execution.result",
    "AgentStatus": "llm_orc.execution.result",
    "RunResult": "llm_orc.execution.result",
    "RunStatus": "llm_orc.execution.result",
    "run": "llm_orc.execution.runner",
    "stream": "llm_orc.execution.runner",
    "RunOptions": "llm_orc.execution.scheduler",
    "Run": "llm_orc.execution.service",
    "RunService": "llm_orc.execution.service",
    "UnknownRunError": "llm_orc.execution.service",
    "Generation": "llm_orc.providers.base",
    "GenerationRequest": "llm_orc.providers.base",
    "ProviderError": "llm_orc.providers.base",
    "TransientProviderError": "llm_orc.providers.base",
    "register_provider": "llm_orc.providers.registry",
    "validate_ensemble_text": "llm_orc.validation",
}

__all__ = [
    "Agent",
    "AgentCancelled",
    "AgentFailed",
    "AgentFallback",
    "AgentFinished",
    "AgentQueued",
    "AgentResult",
    "AgentRetrying",
    "AgentSkipped",
    "AgentStarted",
    "AgentStatus",
    "AgentTextDelta",
    "Ensemble",
    "EnsembleFinished",
    "EnsembleNotFoundError",
    "EnsembleStarted",
    "Generation",
    "GenerationRequest",
    "InputError",
    "InvalidEnsembleError",
    "InvalidFieldError",
    "InvalidResultError",
    "LlmOrcError",
    "ModelProfile",
    "ProviderError",
    "RetryPolicy",
    "Run",
    "RunEvent",
    "RunOptions",
    "RunResult",
    "RunService",
    "RunStatus",
    "TransientProviderError",
    "UnknownRunError",
    "Usage",
    "Workspace",
    "event_to_dict",
    "load_ensemble",
    "register_provider",
    "run",
    "stream",
    "validate_ensemble_text",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llm_orc' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
