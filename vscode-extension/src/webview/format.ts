// How numbers read on the page. No DOM.

import type { Usage } from '../runs/events';
import type { AgentView, AgentStatus, RunStatus } from '../runs/run_model';

export function seconds(value: number | null): string | null {
  if (value === null) return null;
  return value < 10 ? `${value.toFixed(2)} s` : `${value.toFixed(1)} s`;
}

export function tokens(usage: Usage | null): string | null {
  if (!usage) return null;
  const about = usage.estimated ? '~' : ''; // a count the provider did not report is estimated
  return `${about}${usage.total_tokens} tokens (${usage.input_tokens} in, ${usage.output_tokens} out)`;
}

export function cost(usage: Usage | null): string | null {
  if (!usage) return null;
  const usd = usage.cost_usd;
  if (usd === null) return 'cost unknown'; // never shown as $0: the model has no price
  return `$${usd.toFixed(usd > 0 && usd < 0.01 ? 4 : 2)}`;
}

export const STATUS_LABEL: Record<AgentStatus | RunStatus, string> = {
  pending: 'pending',
  queued: 'queued',
  running: 'running',
  retrying: 'retrying',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
  partial: 'partial',
  timed_out: 'timed out',
  lost: 'lost: the server stopped',
};

/** The card's line about where the agent runs: model, provider/profile, the attempt after the first. */
export function agentMeta(agent: AgentView): string {
  const parts: string[] = [];
  if (agent.model) parts.push(agent.model);
  if (agent.provider || agent.profile) parts.push([agent.provider, agent.profile].filter(Boolean).join(' / '));
  if (agent.attempt > 1) parts.push(`attempt ${agent.attempt}`);
  return parts.join(' · ');
}

export function clock(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour12: false });
}
