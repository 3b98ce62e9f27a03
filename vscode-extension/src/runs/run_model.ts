// One run's state for the panel and the status bar, built by applying its events in order.
// No `vscode` import: the extension host and the webview page both use it, and tests run it
// plainly. It mutates in place (thousands of text deltas must stay cheap) and says what changed.

import type { RunEvent, RunResult, Usage } from './events';

export type AgentStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'skipped';

/** `lost`: the extension's own verdict when the server stopped before the run's end arrived. */
export type RunStatus = 'running' | 'lost' | RunResult['status'];

export interface AgentView {
  name: string;
  status: AgentStatus;
  dependsOn: string[];
  model: string | null;
  provider: string | null;
  profile: string | null;
  /** The attempt the text belongs to (0 before the first start). */
  attempt: number;
  /** What the current attempt has written so far; the whole output once finished. */
  text: string;
  /** One line on why the agent is where it is: waiting, retrying, fallen back, failed, skipped. */
  note: string | null;
  errorType: string | null;
  /** Seconds from the run's start to the agent's first start. */
  startedAt: number | null;
  durationSeconds: number | null;
  usage: Usage | null;
  fallback: { from: string; to: string } | null;
}

/** What one applied event changed: the renderer redraws only that. */
export interface Change {
  /** The agent list or the graph changed (a new agent, new dependencies). */
  structure: boolean;
  /** Run-level fields changed (status, final answer, totals). */
  run: boolean;
  /** Agents whose card or graph node changed. */
  agents: Set<string>;
}

export function noChange(): Change {
  return { structure: false, run: false, agents: new Set() };
}

export function mergeChange(into: Change, from: Change): Change {
  into.structure ||= from.structure;
  into.run ||= from.run;
  for (const agent of from.agents) into.agents.add(agent);
  return into;
}

export const TERMINAL_AGENT: ReadonlySet<AgentStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
]);

export class RunModel {
  ensemble = '';
  status: RunStatus = 'running';
  /** Wall-clock time of the first event seen (ISO 8601). */
  startedTime: string | null = null;
  /** Seconds since the run started, as of the newest event. */
  at = 0;
  lastSeq = 0;
  /** The seq of the first event seen: above 1 means the start was missed (replay it). */
  firstSeq: number | null = null;
  finalAnswer: { agent: string; output: string | null } | null = null;
  result: RunResult | null = null;
  /** Events that were not understood, said once each on the page rather than dropped. */
  readonly ignored: string[] = [];
  private readonly byName = new Map<string, AgentView>();
  private order: string[] = [];

  constructor(readonly runId: string) {}

  get agents(): AgentView[] {
    return this.order.map((name) => this.byName.get(name)!);
  }

  agent(name: string): AgentView | undefined {
    return this.byName.get(name);
  }

  get finished(): boolean {
    return this.status !== 'running';
  }

  /** Summed usage of the agents so far (the result's totals once the run finished). */
  get usage(): Usage {
    if (this.result) return this.result.totals.usage;
    const sum: Usage = {
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      estimated: false,
      cost_usd: 0,
      cost_reason: null,
    };
    for (const agent of this.byName.values()) {
      if (!agent.usage) continue;
      sum.input_tokens += agent.usage.input_tokens;
      sum.output_tokens += agent.usage.output_tokens;
      sum.total_tokens += agent.usage.total_tokens;
      sum.cache_read_tokens += agent.usage.cache_read_tokens;
      sum.cache_write_tokens += agent.usage.cache_write_tokens;
      sum.reasoning_tokens += agent.usage.reasoning_tokens;
      sum.estimated ||= agent.usage.estimated;
      // A sum with any unknown part is unknown, as in the result document's totals.
      if (sum.cost_usd === null || agent.usage.cost_usd === null) {
        sum.cost_usd = null;
        sum.cost_reason = sum.cost_reason ?? agent.usage.cost_reason ?? 'a cost is unknown';
      } else {
        sum.cost_usd += agent.usage.cost_usd;
      }
    }
    return sum;
  }

  /** Applies EVENT; a repeated or older seq (an overlapping replay) changes nothing. */
  apply(event: RunEvent): Change {
    const change = noChange();
    if (event.run_id !== this.runId) {
      this.ignore(`an event of run ${event.run_id} was sent to run ${this.runId}`);
      change.run = true;
      return change;
    }
    if (event.seq <= this.lastSeq) return change;
    this.firstSeq ??= event.seq;
    this.lastSeq = event.seq;
    this.at = Math.max(this.at, event.at);
    this.startedTime ??= event.time;
    if ('agent' in event && typeof event.agent === 'string') change.agents.add(event.agent);
    switch (event.type) {
      case 'ensemble_started': {
        this.ensemble = event.ensemble;
        for (const name of event.agents) this.ensureAgent(name);
        for (const [name, deps] of Object.entries(event.depends_on)) {
          this.ensureAgent(name).dependsOn = [...(deps ?? [])];
        }
        change.structure = change.run = true;
        break;
      }
      case 'agent_queued':
        this.update(event.agent, change, { status: 'queued', note: `waiting for ${event.waiting_for}` });
        break;
      case 'agent_started': {
        const agent = this.update(event.agent, change, {
          status: 'running',
          model: event.model,
          provider: event.provider,
          profile: event.profile,
          attempt: event.attempt,
          text: '',
          note: null,
        });
        agent.startedAt ??= event.at;
        if (agent.fallback) agent.note = `on fallback profile ${agent.fallback.to}`;
        break;
      }
      case 'agent_text_delta': {
        const agent = this.update(event.agent, change, {});
        if (event.attempt > agent.attempt) {
          agent.attempt = event.attempt;
          agent.text = '';
        }
        if (event.attempt === agent.attempt) agent.text += event.text;
        break;
      }
      case 'agent_retrying':
        this.update(event.agent, change, {
          status: 'retrying',
          note: `attempt ${event.attempt} failed: ${event.error}; retrying in ${formatSeconds(event.delay_seconds)}`,
        });
        break;
      case 'agent_fallback':
        this.update(event.agent, change, {
          fallback: { from: event.from_profile, to: event.to_profile },
          note: `profile ${event.from_profile} failed (${event.error}); running on ${event.to_profile}`,
        });
        break;
      case 'agent_finished': {
        const agent = this.update(event.agent, change, {
          status: 'succeeded',
          text: event.output,
          usage: event.usage,
          durationSeconds: event.duration_seconds,
        });
        agent.note = agent.fallback ? `ran on fallback profile ${agent.fallback.to}` : null;
        change.run = true;
        break;
      }
      case 'agent_failed':
        this.update(event.agent, change, {
          status: 'failed',
          note: event.error,
          errorType: event.error_type,
        });
        change.run = true;
        break;
      case 'agent_cancelled':
        this.update(event.agent, change, { status: 'cancelled', note: event.reason });
        change.run = true;
        break;
      case 'agent_skipped':
        this.update(event.agent, change, { status: 'skipped', note: event.reason });
        change.run = true;
        break;
      case 'ensemble_finished':
        this.finish(event.result, change);
        break;
      default: {
        const unknown = event as { type?: unknown };
        this.ignore(`an event of unknown type ${JSON.stringify(unknown.type)} was ignored`);
        change.run = true;
      }
    }
    return change;
  }

  /** The server stopped before the run ended: the run is lost; as in the contract, agents that
   * were running or queued are cancelled and those that never started skipped. */
  abandon(reason: string): Change {
    const change = noChange();
    if (this.finished) return change;
    this.status = 'lost';
    change.run = true;
    for (const agent of this.byName.values()) {
      if (TERMINAL_AGENT.has(agent.status)) continue;
      agent.status = agent.status === 'pending' ? 'skipped' : 'cancelled';
      agent.note = reason;
      change.agents.add(agent.name);
    }
    return change;
  }

  private finish(result: RunResult, change: Change): void {
    this.result = result;
    this.status = result.status;
    this.ensemble ||= result.ensemble;
    this.finalAnswer = result.final_answer;
    change.run = true;
    // The result document is the last word on every agent (it also covers missed events).
    for (const done of result.agents) {
      const agent = this.ensureAgent(done.name);
      if (agent.status !== done.status) change.agents.add(done.name);
      agent.status = done.status;
      agent.model = done.model ?? agent.model;
      agent.provider = done.provider ?? agent.provider;
      agent.profile = done.profile ?? agent.profile;
      agent.usage = done.usage;
      agent.durationSeconds = done.duration_seconds ?? agent.durationSeconds;
      if (done.output !== null && done.output !== agent.text) {
        agent.text = done.output;
        change.agents.add(done.name);
      }
      if (done.error && done.status !== 'succeeded') {
        agent.note = done.error.message;
        agent.errorType = done.error.type;
      }
    }
  }

  private ensureAgent(name: string): AgentView {
    let agent = this.byName.get(name);
    if (!agent) {
      agent = {
        name,
        status: 'pending',
        dependsOn: [],
        model: null,
        provider: null,
        profile: null,
        attempt: 0,
        text: '',
        note: null,
        errorType: null,
        startedAt: null,
        durationSeconds: null,
        usage: null,
        fallback: null,
      };
      this.byName.set(name, agent);
      this.order.push(name);
    }
    return agent;
  }

  private update(name: string, change: Change, fields: Partial<AgentView>): AgentView {
    if (!this.byName.has(name)) change.structure = true;
    return Object.assign(this.ensureAgent(name), fields);
  }

  private ignore(message: string): void {
    if (!this.ignored.includes(message)) this.ignored.push(message);
  }
}

export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}
