import { describe, expect, it } from 'vitest';

import { RunStore } from '../../src/runs/run_store';
import { codeReviewRun, failedRun, runningRun } from '../fixtures/streams';

describe('the runs of this window', () => {
  it('creates a run on its first event and keeps its events in order', () => {
    const store = new RunStore();
    for (const event of codeReviewRun('a')) store.receive(event);
    const run = store.get('a')!;
    expect(run.events.map((e) => e.seq)).toEqual(codeReviewRun('a').map((e) => e.seq));
    expect(run.model.status).toBe('succeeded');
  });

  it('lists runs oldest first and tells which are still running', () => {
    const store = new RunStore();
    for (const event of failedRun('old')) store.receive(event);
    for (const event of runningRun('live')) store.receive(event);
    expect(store.list().map((r) => r.model.runId)).toEqual(['old', 'live']);
    expect(store.running().map((r) => r.model.runId)).toEqual(['live']);
    expect(store.latest()!.model.runId).toBe('live');
  });

  it('drops a repeated event and does not announce it', () => {
    const store = new RunStore();
    const seen: number[] = [];
    store.onDidChange(({ events }) => seen.push(...events.map((e) => e.seq)));
    const [first] = codeReviewRun('a');
    store.receive(first!);
    store.receive(first!);
    expect(store.get('a')!.events).toHaveLength(1);
    expect(seen).toEqual([1]);
  });

  it('rebuilds a run from a replay and keeps live events newer than it', () => {
    const store = new RunStore();
    const all = codeReviewRun('a');
    store.receive(all[5]!); // joined late: seq 6 first
    store.receive(all[6]!);
    expect(store.get('a')!.model.firstSeq).toBe(6);
    const run = store.replace('a', all.slice(0, 6));
    expect(run.events.map((e) => e.seq)).toEqual(all.slice(0, 7).map((e) => e.seq));
    expect(run.model.agents.map((a) => a.name)).toEqual(['bugs', 'security', 'readability', 'summary']);
    expect(run.model.firstSeq).toBe(1);
  });

  it('forgets the oldest finished runs beyond its limit, never a running one', () => {
    const store = new RunStore(2);
    for (const event of runningRun('live')) store.receive(event);
    for (const event of failedRun('f1')) store.receive(event);
    for (const event of failedRun('f2')) store.receive(event);
    expect(store.list().map((r) => r.model.runId)).toEqual(['live', 'f2']);
  });

  it('marks only the running runs lost when their server stops, and says so', () => {
    const store = new RunStore();
    for (const event of failedRun('done')) store.receive(event);
    for (const event of runningRun('live')) store.receive(event);
    const updates: { runId: string; lost?: string }[] = [];
    store.onDidChange(({ runId, lost }) => updates.push({ runId, lost }));
    store.abandonRunning('gone');
    expect(updates).toEqual([{ runId: 'live', lost: 'gone' }]);
    expect(store.get('live')).toMatchObject({ lost: 'gone' });
    expect(store.get('done')!.lost).toBeUndefined();
    expect(store.running()).toEqual([]);
  });

  it('stops calling a listener once it is disposed', () => {
    const store = new RunStore();
    let calls = 0;
    const subscription = store.onDidChange(() => (calls += 1));
    const [first, second] = codeReviewRun('a');
    store.receive(first!);
    subscription.dispose();
    store.receive(second!);
    expect(calls).toBe(1);
  });
});
