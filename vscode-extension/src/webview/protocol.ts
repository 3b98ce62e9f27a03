// The messages between the extension host and the results panel page. No `vscode` import.

import type { RunEvent } from '../runs/events';

export type ToPage =
  /** Everything: the runs of this window (oldest first) and the one to show. */
  | { type: 'reset'; runs: { run_id: string; events: RunEvent[]; lost?: string }[]; selected: string | null }
  /** New events of one run; `replace`: they are the whole run (rebuilt from a replay); `lost`:
   * the server stopped before the run ended, and why. */
  | { type: 'events'; run_id: string; events: RunEvent[]; replace?: boolean; lost?: string }
  /** Show this run. */
  | { type: 'select'; run_id: string };

export type AnswerAction = 'copy' | 'insert' | 'open';

export type FromPage =
  /** The page loaded: when its navigation began and its script started (ms since the epoch). */
  | { type: 'ready'; navigatedAt?: number; scriptAt?: number }
  | { type: 'selected'; run_id: string }
  | { type: 'answer'; action: AnswerAction; run_id: string }
  | { type: 'cancel'; run_id: string }
  /** The first streamed text of a run was painted, AT (ms since the epoch): for timing it. */
  | { type: 'firstText'; run_id: string; at: number };
