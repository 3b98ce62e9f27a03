import { describe, expect, it } from 'vitest';

import type { RunEvent } from '../../src/runs/events';
import { RunModel, mergeChange, noChange } from '../../src/runs/run_model';
import { codeReviewRun, failedRun, stream, SUMMARY_ANSWER, usage } from '../fixtures/streams';

function build(events: RunEvent[], runId = events[0]!.run_id): RunModel {
  const model = new RunModel(runId);
  for (const event of events) model.apply(event);
  return model;
}

describe('a run built from its events', () => {
  it('knows the agents, their dependencies and the ensemble from ensemble_started', () => {
    const model = build(codeReviewRun().slice(0, 1));
    expect(model.ensemble).toBe('code-review');
    expect(model.agents.map((a) => a.name)).toEqual(['bugs', 'security', 'readability', 'summary']);
    expect(model.agent('summary')!.dependsOn).toEqual(['bugs', 'security', 'readability']);
    expect(model.agents.every((a) => a.status === 'pending')).toBe(true);
    expect(model.status).toBe('running');
  });

  it('follows each agent: queued with the reason, running with its model, streaming text', () => {
    const model = build(codeReviewRun().slice(0, 6));
    expect(model.agent('readability')).toMatchObject({
      status: 'queued',
      note: "waiting for a slot of provider 'scripted' (2 at a time)",
    });
    expect(model.agent('bugs')).toMatchObject({
      status: 'running',
      model: 'smollm2-135m-instruct',
      provider: 'scripted',
      attempt: 1,
      text: 'add: returns ',
    });
  });

  it('accepts seq gaps from coalesced deltas and appends their text', () => {
    const events = codeReviewRun();
    const gap = events.findIndex((e, i) => i > 0 && e.seq !== events[i - 1]!.seq + 1);
    expect(gap).toBeGreaterThan(0);
    const model = build(events.slice(0, gap + 1));
    expect(model.agent('bugs')!.text).toBe('add: returns a - b instead of a + b.');
  });

  it('starts a retried attempt with empty text and says why it is retrying', () => {
    const events = codeReviewRun();
    const retrying = events.findIndex((e) => e.type === 'agent_retrying');
    const model = build(events.slice(0, retrying + 1));
    expect(model.agent('security')).toMatchObject({
      status: 'retrying',
      note: 'attempt 1 failed: connection reset; retrying in 0.5 s',
      text: 'Looking…',
    });
    const restarted = events.findIndex((e) => e.type === 'agent_started' && e.attempt === 2);
    for (const event of events.slice(retrying + 1, restarted + 1)) model.apply(event);
    expect(model.agent('security')).toMatchObject({ status: 'running', attempt: 2, text: '', note: null });
  });

  it('ignores text of an older attempt that arrives late', () => {
    const model = build(
      stream('r', [
        { type: 'ensemble_started', ensemble: 'e', agents: ['a'], depends_on: { a: [] } },
        { type: 'agent_started', agent: 'a', model: 'm', provider: 'p', profile: 'x', attempt: 2 },
        { type: 'agent_text_delta', agent: 'a', attempt: 1, text: 'stale' },
        { type: 'agent_text_delta', agent: 'a', attempt: 2, text: 'fresh' },
      ]),
    );
    expect(model.agent('a')!.text).toBe('fresh');
  });

  it('ends with the result: statuses, usage, durations and the final answer', () => {
    const model = build(codeReviewRun());
    expect(model.status).toBe('succeeded');
    expect(model.finished).toBe(true);
    expect(model.finalAnswer).toEqual({ agent: 'summary', output: SUMMARY_ANSWER });
    expect(model.agents.map((a) => a.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(model.agent('summary')).toMatchObject({ text: SUMMARY_ANSWER, durationSeconds: 0.2 });
    expect(model.usage).toEqual(usage(198, 78, 0.0012));
  });

  it('sums usage of finished agents while the run is going', () => {
    const events = codeReviewRun();
    const model = build(events.slice(0, events.findIndex((e) => e.type === 'agent_finished') + 1));
    expect(model.usage).toEqual(usage(40, 9, 0));
  });

  it('sums to an unknown cost while any finished agent has one', () => {
    const events = codeReviewRun().map((e) =>
      e.type === 'agent_finished' ? { ...e, usage: usage(e.usage.input_tokens, e.usage.output_tokens, null) } : e,
    );
    const model = build(events.slice(0, events.findIndex((e) => e.type === 'agent_finished') + 1));
    expect(model.usage.cost_usd).toBeNull();
    expect(model.usage.total_tokens).toBe(49);
  });

  it('shows failures and skips with their reasons, and no final answer', () => {
    const model = build(failedRun());
    expect(model.status).toBe('failed');
    expect(model.agent('bugs')).toMatchObject({ status: 'failed', note: 'scripted failure', errorType: 'provider' });
    expect(model.agent('summary')).toMatchObject({ status: 'skipped', note: "dependency 'bugs' failed" });
    expect(model.finalAnswer).toEqual({ agent: 'summary', output: null });
  });

  it('marks agents cancelled with the reason', () => {
    const model = build(
      stream('r', [
        { type: 'ensemble_started', ensemble: 'e', agents: ['a'], depends_on: { a: [] } },
        { type: 'agent_cancelled', agent: 'a', reason: 'the run was cancelled' },
      ]),
    );
    expect(model.agent('a')).toMatchObject({ status: 'cancelled', note: 'the run was cancelled' });
  });

  it('records a fallback and says which profile the agent ran on', () => {
    const model = build(
      stream('r', [
        { type: 'ensemble_started', ensemble: 'e', agents: ['a'], depends_on: { a: [] } },
        { type: 'agent_started', agent: 'a', model: 'big', provider: 'p', profile: 'main', attempt: 1 },
        { type: 'agent_fallback', agent: 'a', from_profile: 'main', to_profile: 'local', error: 'boom' },
        { type: 'agent_started', agent: 'a', model: 'small', provider: 'local', profile: 'local', attempt: 2 },
      ]),
    );
    expect(model.agent('a')).toMatchObject({
      status: 'running',
      profile: 'local',
      fallback: { from: 'main', to: 'local' },
      note: 'on fallback profile local',
    });
  });

  it('applies each seq once, so an overlapping replay changes nothing', () => {
    const events = codeReviewRun();
    const model = build(events);
    const text = model.agent('bugs')!.text;
    const change = model.apply(events[4]!);
    expect(change).toEqual(noChange());
    expect(model.agent('bugs')!.text).toBe(text);
  });

  it('says which agents an event changed, and when the structure changed', () => {
    const model = new RunModel('run-1');
    const events = codeReviewRun();
    expect(model.apply(events[0]!)).toMatchObject({ structure: true, run: true });
    const delta = model.apply(events[4]!);
    expect(delta).toEqual({ structure: false, run: false, agents: new Set(['bugs']) });
    expect(mergeChange(delta, model.apply(events[5]!)).agents).toEqual(new Set(['bugs', 'security']));
  });

  it('creates agents it hears of without ensemble_started (a late start), and remembers the gap', () => {
    const model = build(codeReviewRun().slice(4, 6), 'run-1');
    expect(model.firstSeq).toBe(5);
    expect(model.agents.map((a) => a.name)).toEqual(['bugs', 'security']);
  });

  it('is lost when the server stops first: unfinished agents cancelled or skipped, with the reason', () => {
    const events = codeReviewRun();
    const model = build(events.slice(0, events.findIndex((e) => e.type === 'agent_finished') + 1));
    const change = model.abandon('the server stopped');
    expect(model.status).toBe('lost');
    expect(model.finished).toBe(true);
    expect(model.agents.map((a) => a.status)).toEqual(['succeeded', 'cancelled', 'cancelled', 'skipped']);
    expect(model.agent('summary')!.note).toBe('the server stopped');
    expect(change.agents).toEqual(new Set(['security', 'readability', 'summary']));
    expect(build(codeReviewRun()).abandon('late')).toEqual(noChange());
  });

  it('reports an event of an unknown type instead of dropping it silently', () => {
    const model = new RunModel('r');
    model.apply({ type: 'agent_dreaming', run_id: 'r', seq: 1, at: 0, time: '' } as unknown as RunEvent);
    expect(model.ignored).toEqual(['an event of unknown type "agent_dreaming" was ignored']);
  });
});
