// The run-event documents of the contract (issue 11), as the server sends them in
// `llm-orc/runEvent` notifications and `llm-orc.runEvents` replies. The result document's types
// are generated from schema/result.schema.json; the events' will be generated from
// schema/events.schema.json once it exists, and these hand-written ones then go.

import type { LlmOrcRunResult, Usage } from '../generated/schema';

export type RunResult = LlmOrcRunResult;
export type { Usage };

/** The keys every event document has. */
interface EventBase {
  run_id: string;
  seq: number;
  at: number;
  time: string;
}

export interface EnsembleStartedEvent extends EventBase {
  type: 'ensemble_started';
  ensemble: string;
  agents: string[];
  depends_on: Record<string, string[]>;
}

export interface AgentQueuedEvent extends EventBase {
  type: 'agent_queued';
  agent: string;
  waiting_for: string;
}

export interface AgentStartedEvent extends EventBase {
  type: 'agent_started';
  agent: string;
  model: string;
  provider: string;
  profile: string;
  attempt: number;
}

export interface AgentTextDeltaEvent extends EventBase {
  type: 'agent_text_delta';
  agent: string;
  attempt: number;
  text: string;
}

export interface AgentRetryingEvent extends EventBase {
  type: 'agent_retrying';
  agent: string;
  attempt: number;
  error: string;
  delay_seconds: number;
}

export interface AgentFallbackEvent extends EventBase {
  type: 'agent_fallback';
  agent: string;
  from_profile: string;
  to_profile: string;
  error: string;
}

export interface AgentFinishedEvent extends EventBase {
  type: 'agent_finished';
  agent: string;
  output: string;
  usage: Usage;
  duration_seconds: number;
}

export interface AgentFailedEvent extends EventBase {
  type: 'agent_failed';
  agent: string;
  error: string;
  error_type: string;
}

export interface AgentCancelledEvent extends EventBase {
  type: 'agent_cancelled';
  agent: string;
  reason: string;
}

export interface AgentSkippedEvent extends EventBase {
  type: 'agent_skipped';
  agent: string;
  reason: string;
}

export interface EnsembleFinishedEvent extends EventBase {
  type: 'ensemble_finished';
  result: RunResult;
}

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
