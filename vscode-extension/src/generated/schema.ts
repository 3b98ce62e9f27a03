// Generated from ../schema/{result.schema.json} by scripts/generate-types.mjs.
// Do not edit: change the schema, then run `npm run generate`.
/* eslint-disable */

/**
 * The result of one run of an ensemble (version 1): what every agent did, the final answer, and the totals. The CLI's JSON output, the language server and the API all send this document.
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
     * Agents stopped while running.
     */
    cancelled: number;
    usage: Usage;
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
   * The agent's final status.
   */
  status: 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'pending' | 'running';
  /**
   * The agent's whole output, or null.
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
     * provider, timeout, invalid_json, config, skipped, cancelled or internal.
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
  usage: Usage;
}
/**
 * Tokens used and their cost.
 *
 * This interface was referenced by `LlmOrcRunResult`'s JSON-Schema
 * via the `definition` "usage".
 */
export interface Usage {
  /**
   * Prompt tokens, summed over attempts that produced output.
   */
  input_tokens: number;
  /**
   * Generated tokens.
   */
  output_tokens: number;
  /**
   * input_tokens + output_tokens.
   */
  total_tokens: number;
  /**
   * Cost in US dollars from the profile's per-million-token prices (0 for local models).
   */
  cost_usd: number;
}
