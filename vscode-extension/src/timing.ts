// Timestamps on a run's way from the command to its first painted text, for the end-to-end
// test that measures it: written as JSON lines to the file named by LLM_ORC_TIMINGS when that is
// set, nothing otherwise (no cost and no output for a user).

import { appendFileSync } from 'node:fs';

const FILE = process.env.LLM_ORC_TIMINGS;

export type Mark =
  | 'command'
  | 'picked'
  | 'request'
  | 'run_id'
  | 'panel_created'
  | 'page_navigated'
  | 'page_script'
  | 'page_ready'
  | 'first_delta'
  | 'posted'
  | 'painted';

/** Records MARK (of RUN_ID, when known) at AT (default: now, ms since the epoch). */
export function mark(name: Mark, runId?: string, at = Date.now()): void {
  if (!FILE) return;
  try {
    appendFileSync(FILE, `${JSON.stringify({ mark: name, run_id: runId ?? null, t: at })}\n`);
  } catch (error) {
    console.warn(`LLM Orc: could not write a timing to ${FILE}: ${String(error)}`);
  }
}

export const timingEnabled = FILE !== undefined;
