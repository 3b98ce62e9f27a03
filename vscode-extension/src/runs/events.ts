// The run-event documents of the contract (issue 11), as the server sends them in
// `llm-orc/runEvent` notifications and `llm-orc.runEvents` replies: the types generated from
// schema/events.schema.json (and the result.schema.json it refers to), under short names.

import type {
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
  LlmOrcRunResult,
  Usage,
} from '../generated/schema';

export type RunResult = LlmOrcRunResult;
export type { Usage };

export type EnsembleStartedEvent = EnsembleStarted;
export type AgentQueuedEvent = AgentQueued;
export type AgentStartedEvent = AgentStarted;
export type AgentTextDeltaEvent = AgentTextDelta;
export type AgentRetryingEvent = AgentRetrying;
export type AgentFallbackEvent = AgentFallback;
export type AgentFinishedEvent = AgentFinished;
export type AgentFailedEvent = AgentFailed;
export type AgentCancelledEvent = AgentCancelled;
export type AgentSkippedEvent = AgentSkipped;
export type EnsembleFinishedEvent = EnsembleFinished;

/** One event document: `type` tells which. */
export type RunEvent =
  | EnsembleStartedEvent
  | AgentQueuedEvent
  | AgentStartedEvent
  | AgentTextDeltaEvent
  | AgentRetryingEvent
  | AgentFallbackEvent
  | AgentFinishedEvent
  | AgentFailedEvent
  | AgentCancelledEvent
  | AgentSkippedEvent
  | EnsembleFinishedEvent;

export type RunEventType = RunEvent['type'];
