// The runs of this window: every event received, per run, and the model built from them.
// No `vscode` import. The extension host feeds it notifications (and replays); the panel is
// sent the events, the status bar reads what is running.

import type { RunEvent } from './events';
import { RunModel, type Change } from './run_model';

export interface StoredRun {
  readonly model: RunModel;
  /** The events the model was built from, in order, for a panel that (re)opens. */
  readonly events: RunEvent[];
  /** Why the run was lost (the server stopped before its end), if it was. */
  lost?: string;
}

/** What changed in one run: EVENTS newly applied (REPLACED: they are the whole run, rebuilt from
 * a replay), or LOST: the server stopped before the run's end. */
export interface StoreUpdate {
  runId: string;
  change: Change;
  events: RunEvent[];
  replaced: boolean;
  lost?: string;
}

export type StoreListener = (update: StoreUpdate) => void;

/** Finished runs beyond this many are forgotten, oldest first; running ones never. */
export const KEEP_RUNS = 20;

export class RunStore {
  private readonly runs = new Map<string, StoredRun>();
  private readonly listeners = new Set<StoreListener>();

  constructor(private readonly keep = KEEP_RUNS) {}

  /** Adds one event (a notification); creates the run on its first event. */
  receive(event: RunEvent): StoredRun {
    const run = this.ensure(event.run_id);
    if (event.seq > run.model.lastSeq) {
      const change = run.model.apply(event);
      run.events.push(event);
      this.emit({ runId: event.run_id, change, events: [event], replaced: false });
    }
    this.forgetOld();
    return run;
  }

  /** Rebuilds a run from a replay (`llm-orc.runEvents` from seq 0), keeping any newer events. */
  replace(runId: string, replayed: RunEvent[]): StoredRun {
    const previous = this.runs.get(runId);
    const lastReplayed = replayed.at(-1)?.seq ?? 0;
    const newer = (previous?.events ?? []).filter((event) => event.seq > lastReplayed);
    const run: StoredRun = { model: new RunModel(runId), events: [] };
    this.runs.delete(runId);
    this.runs.set(runId, run);
    for (const event of [...replayed, ...newer]) {
      if (event.seq > run.model.lastSeq) {
        run.model.apply(event);
        run.events.push(event);
      }
    }
    this.emit({ runId, change: { structure: true, run: true, agents: new Set() }, events: run.events, replaced: true });
    return run;
  }

  /** Creates an empty run, e.g. as soon as the server answered `{run_id}`. */
  ensure(runId: string): StoredRun {
    let run = this.runs.get(runId);
    if (!run) {
      run = { model: new RunModel(runId), events: [] };
      this.runs.set(runId, run);
    }
    return run;
  }

  get(runId: string): StoredRun | undefined {
    return this.runs.get(runId);
  }

  /** The runs, oldest first. */
  list(): StoredRun[] {
    return [...this.runs.values()];
  }

  latest(): StoredRun | undefined {
    return this.list().at(-1);
  }

  running(): StoredRun[] {
    return this.list().filter((run) => !run.model.finished);
  }

  /** Calls LISTENER after every change, with the events that made it; returns an unsubscriber. */
  onDidChange(listener: StoreListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Marks every running run lost (the server that ran them stopped), saying REASON. */
  abandonRunning(reason: string): void {
    for (const run of this.running()) {
      run.lost = reason;
      const change = run.model.abandon(reason);
      this.emit({ runId: run.model.runId, change, events: [], replaced: false, lost: reason });
    }
  }

  private emit(update: StoreUpdate): void {
    for (const listener of this.listeners) listener(update);
  }

  private forgetOld(): void {
    let extra = this.runs.size - this.keep;
    for (const [runId, run] of this.runs) {
      if (extra <= 0) break;
      if (run.model.finished) {
        this.runs.delete(runId);
        extra -= 1;
      }
    }
  }
}
