// Generated from ../schema/{events.schema.json} by scripts/generate-types.mjs.
// Do not edit: change the schema, then run `npm run generate`.
/* eslint-disable */

/**
 * One event of a run, as the library's event_to_dict gives it and the language server sends it (llm-orc/runEvent). Keys are snake_case; `type` is the discriminator. Every run emits exactly one ensemble_started first and exactly one ensemble_finished last.
 */
export type LlmOrcRunEvent = {
  /**
   * The kind of event: selects one of the definitions below.
   */
  type:
    | 'ensemble_started'
    | 'agent_queued'
    | 'agent_started'
    | 'agent_text_delta'
    | 'agent_retrying'
    | 'agent_fallback'
    | 'agent_finished'
    | 'agent_failed'
    | 'agent_cancelled'
    | 'agent_skipped'
    | 'ensemble_finished';
} & (
  | EnsembleStarted
  | AgentQueued
  | AgentStarted
  | AgentTextDelta
  | AgentRetrying
  | AgentFallback
  | AgentFinished
  | AgentFailed
  | AgentCancelled
  | AgentSkipped
  | EnsembleFinished
);
/**
 * A run's id.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "run_id".
 */
export type RunId = string;
/**
 * A position in a run's event stream.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "seq".
 */
export type Seq = number;
/**
 * Seconds since the run started.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "at".
 */
export type At = number;
/**
 * ISO 8601 UTC time with milliseconds, e.g. 2026-12-01T21:23:21.123+00:00.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "time".
 */
export type Time = string;

/**
 * Always the first event of a run, exactly once.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ensemble_started".
 */
export interface EnsembleStarted {
  /**
   * The kind of event.
   */
  type: 'ensemble_started';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The ensemble's name.
   */
  ensemble: string;
  /**
   * Every agent's name, in declaration order.
   */
  agents: string[];
  /**
   * For each agent, the names of the agents it depends on.
   */
  depends_on: {
    [k: string]: string[] | undefined;
  };
}
/**
 * The agent is ready (its dependencies are done) but waits for a concurrency slot; it has not started and its timeout has not begun.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_queued".
 */
export interface AgentQueued {
  /**
   * The kind of event.
   */
  type: 'agent_queued';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * One human line saying what it waits for, e.g. "a slot of provider 'local' (1 at a time)".
   */
  waiting_for: string;
}
/**
 * An attempt of the agent starts generating: it holds its concurrency slots.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_started".
 */
export interface AgentStarted {
  /**
   * The kind of event.
   */
  type: 'agent_started';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * The model it runs on.
   */
  model: string;
  /**
   * The provider that runs the model.
   */
  provider: string;
  /**
   * The model profile in use (after a fallback, the fallback profile).
   */
  profile: string;
  /**
   * The agent's attempt in this run, 1-based: retries and the fallback profile's attempts count on (a provider's request counts attempts per profile).
   */
  attempt: number;
}
/**
 * A piece of text an attempt of the agent generated.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_text_delta".
 */
export interface AgentTextDelta {
  /**
   * The kind of event.
   */
  type: 'agent_text_delta';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * The attempt (as in agent_started) the text belongs to: text of different attempts never joins.
   */
  attempt: number;
  /**
   * The piece of text.
   */
  text: string;
}
/**
 * An attempt failed with a transient error; the next attempt starts after a delay.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_retrying".
 */
export interface AgentRetrying {
  /**
   * The kind of event.
   */
  type: 'agent_retrying';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * The attempt that failed (as in agent_started).
   */
  attempt: number;
  /**
   * Why the attempt failed (one line, never a secret).
   */
  error: string;
  /**
   * Seconds until the next attempt starts.
   */
  delay_seconds: number;
}
/**
 * The agent failed on its own profile and runs again on its fallback profile.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_fallback".
 */
export interface AgentFallback {
  /**
   * The kind of event.
   */
  type: 'agent_fallback';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * The profile that failed.
   */
  from_profile: string;
  /**
   * The profile used instead.
   */
  to_profile: string;
  /**
   * Why the first profile failed.
   */
  error: string;
}
/**
 * The agent succeeded.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_finished".
 */
export interface AgentFinished {
  /**
   * The kind of event.
   */
  type: 'agent_finished';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * Its whole output.
   */
  output: string;
  usage: Usage;
  /**
   * From its first start to its end.
   */
  duration_seconds: number;
}
/**
 * Tokens and cost of the agent, summed over its attempts.
 */
export interface Usage {
  /**
   * Prompt tokens, summed over attempts (cache reads and writes included).
   */
  input_tokens: number;
  /**
   * Generated tokens (reasoning included).
   */
  output_tokens: number;
  /**
   * input_tokens + output_tokens.
   */
  total_tokens: number;
  /**
   * Part of input_tokens read from the provider's prompt cache.
   */
  cache_read_tokens: number;
  /**
   * Part of input_tokens written to the provider's prompt cache.
   */
  cache_write_tokens: number;
  /**
   * Part of output_tokens spent reasoning.
   */
  reasoning_tokens: number;
  /**
   * True when some count was estimated because the provider did not report it.
   */
  estimated: boolean;
  /**
   * Cost in US dollars, from the genai-prices table or the profile's price_per_million_* (0 for models that run locally), or null when unknown (a model without a price; a sum with any unknown part is unknown).
   */
  cost_usd: number | null;
  /**
   * Why cost_usd is null (one line per distinct reason, joined by '; ', saying which price to set); null when the cost is known.
   */
  cost_reason?: string | null;
}
/**
 * The agent failed, after its retries and fallback.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_failed".
 */
export interface AgentFailed {
  /**
   * The kind of event.
   */
  type: 'agent_failed';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * Why it failed (one line, never a secret).
   */
  error: string;
  /**
   * provider, timeout, invalid_json, config or internal.
   */
  error_type: string;
}
/**
 * The agent was running or queued when the run was cancelled, timed out or stopped.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_cancelled".
 */
export interface AgentCancelled {
  /**
   * The kind of event.
   */
  type: 'agent_cancelled';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * Why the run stopped, e.g. "the run was cancelled".
   */
  reason: string;
}
/**
 * The agent never ran: a dependency did not succeed, or the run ended first.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "agent_skipped".
 */
export interface AgentSkipped {
  /**
   * The kind of event.
   */
  type: 'agent_skipped';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  /**
   * The agent's name.
   */
  agent: string;
  /**
   * Why, e.g. "dependency 'a' failed".
   */
  reason: string;
}
/**
 * Always the last event of a run, exactly once; every agent in its result has a final status.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ensemble_finished".
 */
export interface EnsembleFinished {
  /**
   * The kind of event.
   */
  type: 'ensemble_finished';
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Position in the run's stream: 1 for the first event, then consecutive, in emission order (a transport that merges text deltas keeps the seq of the last piece, so gaps appear only where deltas were merged).
   */
  seq: number;
  /**
   * Seconds since the run started (monotonic clock).
   */
  at: number;
  /**
   * Wall-clock time of the event, ISO 8601 UTC with milliseconds.
   */
  time: string;
  result: LlmOrcRunResult;
}
/**
 * The result document of the run.
 */
export interface LlmOrcRunResult {
  /**
   * The version of this document's shape.
   */
  schema_version: 1;
  /**
   * Unique id of the run.
   */
  run_id: string;
  /**
   * The ensemble's name.
   */
  ensemble: string;
  /**
   * The ensemble file, or null for an ensemble built in code.
   */
  source: string | null;
  /**
   * succeeded: every agent succeeded; partial: some failed or were skipped but the final agent answered; failed: no final answer; cancelled; timed_out.
   */
  status: 'succeeded' | 'partial' | 'failed' | 'cancelled' | 'timed_out';
  /**
   * The input the run was given.
   */
  input: string;
  /**
   * When the run started (ISO 8601, UTC).
   */
  started_at: string;
  /**
   * Wall-clock duration of the run.
   */
  duration_seconds: number;
  /**
   * Agents in the order they started.
   */
  execution_order: string[];
  /**
   * The final agent's output: the single agent nothing depends on (with several, the last declared one that succeeded). Null when there is none.
   */
  final_answer: null | {
    /**
     * The final agent.
     */
    agent: string;
    /**
     * Its output (null if it did not succeed).
     */
    output: string | null;
  };
  /**
   * Every agent, in declaration order.
   */
  agents: Agent[];
  /**
   * Counts by status and the summed usage of the run.
   */
  totals: {
    /**
     * Number of agents.
     */
    agents: number;
    /**
     * Agents that succeeded.
     */
    succeeded: number;
    /**
     * Agents that failed.
     */
    failed: number;
    /**
     * Agents skipped (a dependency failed, or the run stopped first).
     */
    skipped: number;
    /**
     * Agents stopped while running or queued for a slot.
     */
    cancelled: number;
    usage: Usage1;
  };
  /**
   * Why the run stopped before its agents were done, other than a cancel or a timeout (those are the status): budget (its spent cost reached max_cost; running agents were cancelled and the rest skipped with a reason starting 'budget:'), or null.
   */
  stopped_reason?: 'budget' | null;
  /**
   * What broke the run itself, in one line (an engine failure, not an agent's: those are on the agents), or null. A run with an error has status failed, or cancelled when it was being cancelled.
   */
  error?: string | null;
  /**
   * The run's budget (max_cost) and what it spent, or null when it had none. Agents whose cost is unknown count as 0 and are listed.
   */
  budget?: null | {
    /**
     * The budget, in US dollars.
     */
    max_cost_usd: number;
    /**
     * The known cost of every attempt of the run.
     */
    spent_usd: number;
    /**
     * Agents that spent an unknown amount (a model without a price): counted as 0.
     */
    unknown_cost_agents: string[];
  };
}
/**
 * What happened to one agent.
 *
 * This interface was referenced by `LlmOrcRunResult`'s JSON-Schema
 * via the `definition` "agent".
 */
export interface Agent {
  /**
   * The agent's name.
   */
  name: string;
  /**
   * The agent's status: in a finished run's result always final (succeeded, failed, skipped: never ran, or cancelled: was running or queued when the run stopped); pending (waiting for dependencies), queued (waiting for a concurrency slot) or running only in a snapshot of a run still going.
   */
  status: 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'pending' | 'queued' | 'running';
  /**
   * The agent's whole output, or null; for an output_format json agent whose output did not parse, the text it wrote.
   */
  output: string | null;
  /**
   * For output_format json: the parsed value.
   */
  parsed?: {
    [k: string]: unknown | undefined;
  };
  /**
   * Why the agent did not succeed, or null.
   */
  error: null | {
    /**
     * authentication, rate_limited, transient, invalid_request, context_too_long, model_not_found, unavailable or provider (provider errors); timeout, invalid_json, config, skipped, cancelled or internal.
     */
    type: string;
    /**
     * A one-line explanation (never a secret).
     */
    message: string;
  };
  /**
   * The model the agent last ran on.
   */
  model: string | null;
  /**
   * The provider the agent last ran on.
   */
  provider: string | null;
  /**
   * The profile the agent last ran on.
   */
  profile: string | null;
  /**
   * Attempts made, retries and fallback included.
   */
  attempts: number;
  /**
   * Set when the agent's own profile failed and it ran on its fallback profile.
   */
  fallback: null | {
    /**
     * The profile that failed.
     */
    from_profile: string;
    /**
     * The profile used instead.
     */
    to_profile: string;
    /**
     * Why the first profile failed.
     */
    reason: string;
  };
  /**
   * Seconds from the run's start to the agent's first generation.
   */
  started_at: number | null;
  /**
   * Seconds from the run's start to the agent's end.
   */
  finished_at: number | null;
  /**
   * finished_at - started_at.
   */
  duration_seconds: number | null;
  usage: Usage1;
  /**
   * Why the agent's last generation ended: stop, length (cut by max_tokens: a JSON answer is incomplete), content_filter or other; null when none ended.
   */
  finish_reason: 'stop' | 'length' | 'content_filter' | 'other' | null;
}
/**
 * Tokens used and their cost, failed, retried and cancelled attempts included.
 *
 * This interface was referenced by `LlmOrcRunResult`'s JSON-Schema
 * via the `definition` "usage".
 */
export interface Usage1 {
  /**
   * Prompt tokens, summed over attempts (cache reads and writes included).
   */
  input_tokens: number;
  /**
   * Generated tokens (reasoning included).
   */
  output_tokens: number;
  /**
   * input_tokens + output_tokens.
   */
  total_tokens: number;
  /**
   * Part of input_tokens read from the provider's prompt cache.
   */
  cache_read_tokens: number;
  /**
   * Part of input_tokens written to the provider's prompt cache.
   */
  cache_write_tokens: number;
  /**
   * Part of output_tokens spent reasoning.
   */
  reasoning_tokens: number;
  /**
   * True when some count was estimated because the provider did not report it.
   */
  estimated: boolean;
  /**
   * Cost in US dollars, from the genai-prices table or the profile's price_per_million_* (0 for models that run locally), or null when unknown (a model without a price; a sum with any unknown part is unknown).
   */
  cost_usd: number | null;
  /**
   * Why cost_usd is null (one line per distinct reason, joined by '; ', saying which price to set); null when the cost is known.
   */
  cost_reason?: string | null;
}
