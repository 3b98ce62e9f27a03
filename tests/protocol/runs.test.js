// Runs from the editor: `workspace/executeCommand` `llm-orc.runEnsemble`, the `llm-orc/runEvent`
// notifications that stream the run, and work-done progress when the client can show it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Session, clientCapabilities, makeProject } from './lib/session.js';

const RUN_ENSEMBLE = 'llm-orc.runEnsemble';
const NOT_ADVERTISED = `the server does not advertise ${RUN_ENSEMBLE}`;

// Two agents in a chain, on the scripted profile `fake` ("{agent} says hi").
const DUO = `\
name: duo
default_task: say hi
agents:
  - name: a
    model_profile: fake
  - name: b
    model_profile: fake
    depends_on: [a]
`;

function runEvents(session, runId) {
  return session.notifications
    .filter((n) => n.method === 'llm-orc/runEvent' && n.params.run_id === runId)
    .map((n) => ({ ...n.params, arrival: n.seq })); // `seq` is the run's; `arrival` the session's
}

async function runToTheEnd(session, args) {
  const started = await session.request('workspace/executeCommand', {
    command: RUN_ENSEMBLE,
    arguments: [args],
  });
  await session.until(
    () => runEvents(session, started.run_id).find((e) => e.type === 'ensemble_finished'),
    `ensemble_finished of run ${started.run_id}`,
  );
  return { started, events: runEvents(session, started.run_id) };
}

function canRun(capabilities) {
  return capabilities.executeCommandProvider?.commands?.includes(RUN_ENSEMBLE) ?? false;
}

describe('a run from an editor that shows work-done progress', () => {
  let project;
  let session;
  let advertised;
  let commands;
  let run;

  before(async () => {
    project = makeProject();
    project.write('.llm-orc/ensembles/duo.yaml', DUO);
    session = new Session(project);
    const { capabilities } = await session.initialize(clientCapabilities({ workDoneProgress: true }));
    advertised = canRun(capabilities);
    commands = capabilities.executeCommandProvider?.commands ?? [];
    if (advertised) run = await runToTheEnd(session, { ensemble: 'duo', input: 'hello' });
  });

  after(async () => {
    await session?.dispose();
    project?.remove();
  });

  it('advertises the run commands', (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const all = ['llm-orc.cancelRun', 'llm-orc.runResult', 'llm-orc.listRuns', 'llm-orc.runEvents'];
    for (const command of all) {
      assert.ok(commands.includes(command), `${command} is not advertised`);
    }
  });

  it('answers the command at once with the run id', (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    assert.deepEqual(Object.keys(run.started), ['run_id']); // one casing: snake_case
    assert.match(run.started.run_id, /^\S+$/);
    assert.equal(run.events[0].run_id, run.started.run_id);
  });

  it('streams the run as llm-orc/runEvent notifications, in order', (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const { events } = run;
    assert.deepEqual(
      events.map((e) => [e.type, e.agent ?? null]),
      [
        ['ensemble_started', null],
        ['agent_started', 'a'],
        ...events.filter((e) => e.type === 'agent_text_delta' && e.agent === 'a').map(() => [
          'agent_text_delta',
          'a',
        ]),
        ['agent_finished', 'a'],
        ['agent_started', 'b'],
        ...events.filter((e) => e.type === 'agent_text_delta' && e.agent === 'b').map(() => [
          'agent_text_delta',
          'b',
        ]),
        ['agent_finished', 'b'],
        ['ensemble_finished', null],
      ],
    );
    const [first] = events;
    assert.deepEqual(first.agents, ['a', 'b']);
    assert.equal(first.ensemble, 'duo');
    for (const agent of ['a', 'b']) {
      const deltas = events.filter((e) => e.type === 'agent_text_delta' && e.agent === agent);
      assert.ok(deltas.length > 0, `no agent_text_delta for ${agent}`);
      const finished = events.find((e) => e.type === 'agent_finished' && e.agent === agent);
      assert.equal(deltas.map((d) => d.text).join(''), finished.output);
      assert.equal(finished.output, `${agent} says hi`);
      const started = events.find((e) => e.type === 'agent_started' && e.agent === agent);
      assert.deepEqual(
        { model: started.model, provider: started.provider, profile: started.profile },
        { model: 'fake-model', provider: 'scripted', profile: 'fake' },
      );
    }
    const times = events.map((e) => e.at);
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'event times go backwards');
    assert.deepEqual(first.depends_on, { a: [], b: ['a'] });
  });

  it('numbers the events: seq rises, only merged deltas leave gaps; wall-clock times', (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const seqs = run.events.map((e) => e.seq);
    assert.equal(seqs[0], 1);
    for (let i = 1; i < seqs.length; i += 1) {
      assert.ok(seqs[i] > seqs[i - 1], `seq ${seqs[i]} after ${seqs[i - 1]}`);
      if (seqs[i] > seqs[i - 1] + 1) assert.equal(run.events[i].type, 'agent_text_delta');
    }
    for (const event of run.events) {
      assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
      assert.ok(!('runId' in event), 'camelCase key in an event');
    }
    for (const delta of run.events.filter((e) => e.type === 'agent_text_delta')) {
      assert.equal(delta.attempt, 1);
    }
  });

  it('replays the run with llm-orc.runEvents, all of it or after a seq', async (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const runId = run.started.run_id;
    const strip = (events) => events.map(({ arrival, ...event }) => event);
    const all = await session.request('workspace/executeCommand', {
      command: 'llm-orc.runEvents',
      arguments: [{ run_id: runId }],
    });
    assert.equal(all.run_id, runId);
    assert.equal(all.finished, true);
    const others = (events) => events.filter((e) => e.type !== 'agent_text_delta');
    assert.deepEqual(others(all.events), others(strip(run.events)));
    for (const agent of ['a', 'b']) {
      const text = all.events
        .filter((e) => e.type === 'agent_text_delta' && e.agent === agent)
        .map((d) => d.text)
        .join('');
      assert.equal(text, `${agent} says hi`);
    }
    const middle = run.events.find((e) => e.type === 'agent_finished' && e.agent === 'a').seq;
    const rest = await session.request('workspace/executeCommand', {
      command: 'llm-orc.runEvents',
      arguments: [{ run_id: runId, after_seq: middle }],
    });
    assert.deepEqual(rest.events, all.events.filter((e) => e.seq > middle));
    assert.equal(rest.events.at(-1).type, 'ensemble_finished');
  });

  it('ends with the result document', (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const { result } = run.events.at(-1);
    assert.equal(result.run_id, run.started.run_id);
    assert.equal(result.ensemble, 'duo');
    assert.equal(result.status, 'succeeded');
    assert.equal(result.input, 'hello');
    assert.equal(result.source, project.path('.llm-orc', 'ensembles', 'duo.yaml'));
    assert.deepEqual(result.execution_order, ['a', 'b']);
    assert.deepEqual(result.final_answer, { agent: 'b', output: 'b says hi' });
    assert.deepEqual(
      result.agents.map((a) => [a.name, a.status, a.output]),
      [
        ['a', 'succeeded', 'a says hi'],
        ['b', 'succeeded', 'b says hi'],
      ],
    );
    assert.equal(result.totals.succeeded, 2);
  });

  it('reports work-done progress on a token it created: begin, reports, end', (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const creates = session.requests.filter((r) => r.method === 'window/workDoneProgress/create');
    assert.equal(creates.length, 1);
    const { token } = creates[0].params;
    const values = session.progress.filter((p) => p.token === token);
    assert.equal(session.progress.length, values.length, 'progress on a token never created');
    assert.deepEqual(values[0].value, {
      kind: 'begin',
      title: 'llm-orc: duo',
      cancellable: true,
      message: '0/2 agents',
      percentage: 0,
    });
    const reports = values.slice(1, -1).map((p) => p.value);
    assert.ok(reports.length > 0);
    assert.ok(reports.every((r) => r.kind === 'report'));
    const percentages = reports.map((r) => r.percentage);
    assert.deepEqual(percentages, [...percentages].sort((x, y) => x - y));
    assert.deepEqual(reports.at(-1), { kind: 'report', message: '2/2 agents', percentage: 100 });
    assert.deepEqual(values.at(-1).value, { kind: 'end', message: 'succeeded' });
    // created before it is used; begun before the run's first event; ended before its last
    const events = run.events;
    assert.ok(creates[0].seq < values[0].seq);
    assert.ok(values[0].seq < events[0].arrival);
    assert.ok(values.at(-1).seq < events.at(-1).arrival);
  });

  it('keeps the result: llm-orc.runResult returns the same document', async (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const document = await session.request('workspace/executeCommand', {
      command: 'llm-orc.runResult',
      arguments: [{ run_id: run.started.run_id }],
    });
    assert.deepEqual(document, run.events.at(-1).result);
  });

  it('refuses an unknown ensemble with a RequestFailed error naming the ones there are', async (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    await assert.rejects(
      session.request('workspace/executeCommand', {
        command: RUN_ENSEMBLE,
        arguments: [{ ensemble: 'nope', input: 'x' }],
      }),
      (error) => {
        assert.equal(error.code, -32803); // LSPErrorCodes.RequestFailed
        assert.match(error.message, /no ensemble named 'nope'; available: .*\bduo\b/);
        return true;
      },
    );
  });

  it('refuses malformed arguments with InvalidParams', async (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    for (const args of [[], ['duo'], [{ ensemble: 3 }]]) {
      await assert.rejects(
        session.request('workspace/executeCommand', { command: RUN_ENSEMBLE, arguments: args }),
        (error) => error.code === -32602,
        JSON.stringify(args),
      );
    }
  });

  it('shuts down cleanly after runs', async () => {
    const { code } = await session.shutdown();
    assert.equal(code, 0);
    assert.deepEqual(session.errors, []);
  });
});

describe('a run from an editor without work-done progress', () => {
  let project;
  let session;
  let advertised;

  before(async () => {
    project = makeProject();
    session = new Session(project);
    const { capabilities } = await session.initialize(clientCapabilities());
    advertised = canRun(capabilities);
  });

  after(async () => {
    await session?.dispose();
    project?.remove();
  });

  it('runs an open ensemble as the editor has it, unsaved edits included', async (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const path = project.write('.llm-orc/ensembles/draft.yaml', DUO);
    const edited = DUO.replace('name: duo', 'name: draft') + '  - name: c\n    model_profile: fake\n';
    const uri = session.open(path, edited);
    const { events } = await runToTheEnd(session, { ensemble: uri, uri, input: 'hi' });
    assert.deepEqual(events[0].agents, ['a', 'b', 'c']);
    assert.equal(events[0].ensemble, 'draft');
    assert.equal(events.at(-1).result.status, 'succeeded');
    assert.deepEqual(session.requests.map((r) => r.method), []);
    assert.deepEqual(session.progress, []);
    const { code } = await session.shutdown();
    assert.equal(code, 0);
  });
});

describe('a run still going when the editor shuts the server down', () => {
  let project;
  let session;
  let advertised;

  before(async () => {
    project = makeProject();
    project.write(
      '.llm-orc/ensembles/stuck.yaml',
      'name: stuck\nagents:\n  - {name: stuck, model_profile: fake, options: {hang: true}}\n',
    );
    session = new Session(project);
    const { capabilities } = await session.initialize(clientCapabilities());
    advertised = canRun(capabilities);
  });

  after(async () => {
    await session?.dispose();
    project?.remove();
  });

  it('is cancelled, and its end reaches the client before the shutdown answer', async (t) => {
    if (!advertised) return t.skip(NOT_ADVERTISED);
    const { run_id: runId } = await session.request('workspace/executeCommand', {
      command: RUN_ENSEMBLE,
      arguments: [{ ensemble: 'stuck', input: 'go' }],
    });
    await session.until(
      () => runEvents(session, runId).find((e) => e.type === 'agent_started'),
      'the agent generating',
    );
    const { code } = await session.shutdown();
    const events = runEvents(session, runId);
    assert.deepEqual(
      events.slice(-2).map((e) => [e.type, e.agent ?? null]),
      [
        ['agent_cancelled', 'stuck'],
        ['ensemble_finished', null],
      ],
    );
    assert.equal(events.at(-1).result.status, 'cancelled');
    assert.equal(code, 0);
  });
});
