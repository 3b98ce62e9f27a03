// The extension's protocol layer (lsp_ext, ensembles, the run store) against the real language
// server: `<python> -m llm_orc.lsp` over stdio on a project whose profiles use the scripted
// provider. The interpreter is $LLM_ORC_PYTHON (pytest sets it), else ../.venv/bin/python.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

import { listEnsembles } from '../../src/ensembles';
import { CANCEL_RUN, RUN_ENSEMBLE, RUN_EVENT, RUN_EVENTS, execute, isRunEvent, type LspClient } from '../../src/lsp_ext';
import { RunStore } from '../../src/runs/run_store';

const IN_CI = ['true', '1'].includes((process.env.CI ?? '').trim().toLowerCase());
const VENV = fileURLToPath(new URL('../../../.venv/bin/python', import.meta.url));
const PYTHON = process.env.LLM_ORC_PYTHON ?? (existsSync(VENV) ? VENV : undefined);
if (!PYTHON && IN_CI) throw new Error('LLM_ORC_PYTHON is not set (CI=true: the server tests must run in CI)');

/** PYTHONPATH with the repository's test plugins (the scripted provider), when they are there. */
function withTestPlugins(): { PYTHONPATH?: string } {
  const plugins = fileURLToPath(new URL('../../../tests/plugins', import.meta.url));
  if (!existsSync(plugins)) return {};
  const rest = (process.env.PYTHONPATH ?? '').split(':').filter((p) => p && p !== plugins);
  return { PYTHONPATH: [plugins, ...rest].join(':') };
}

const PROFILES = `\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options: {reply: "{agent} says hi to everyone here"}
  stuck:
    provider: scripted
    model: fake-model
    options: {hang: true}
`;
const REVIEW = `\
name: review
description: Two readers, then a summary
agents:
  - name: reader-a
    model_profile: fake
  - name: reader-b
    model_profile: fake
  - name: summary
    model_profile: fake
    depends_on: [reader-a, reader-b]
`;
const STUCK = `\
name: stuck
default_task: wait
agents:
  - name: waiter
    model_profile: stuck
`;

/** An LspClient (what the extension uses) over a raw vscode-jsonrpc connection. */
class JsonRpcClient implements LspClient {
  initializeResult: LspClient['initializeResult'];
  constructor(private readonly connection: MessageConnection) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  async stop(): Promise<void> {
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
  }
  dispose(): Promise<void> {
    return this.stop();
  }
  onNotification(method: string, handler: (params: unknown) => void) {
    return this.connection.onNotification(method, handler);
  }
  onDidChangeState() {
    return { dispose: () => undefined };
  }
  sendRequest<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest<R>(method, params);
  }
  notify(method: string, params: unknown): Promise<void> {
    return this.connection.sendNotification(method, params);
  }
}

describe.skipIf(!PYTHON)('the extension against the real language server', () => {
  let base: string;
  let root: string;
  let server: ChildProcess;
  let client: JsonRpcClient;
  let stderr = '';
  const store = new RunStore();

  /** Resolves once CHECK holds, re-checked on every store change (no polling, no sleeps). */
  function until(check: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error(`timed out waiting for ${what}; server stderr:\n${stderr}`));
      }, 20_000);
      const subscription = store.onDidChange(() => {
        if (!check()) return;
        clearTimeout(timer);
        subscription.dispose();
        resolve();
      });
    });
  }

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'llm-orc-vscode-')));
    root = join(base, 'project');
    mkdirSync(join(root, '.llm-orc', 'ensembles'), { recursive: true });
    mkdirSync(join(base, 'xdg'));
    writeFileSync(join(root, '.llm-orc', 'config.yaml'), PROFILES);
    writeFileSync(join(root, '.llm-orc', 'ensembles', 'review.yaml'), REVIEW);
    writeFileSync(join(root, '.llm-orc', 'ensembles', 'stuck.yaml'), STUCK);
    server = spawn(PYTHON!, ['-m', 'llm_orc.lsp'], {
      cwd: root,
      env: { ...process.env, ...withTestPlugins(), XDG_CONFIG_HOME: join(base, 'xdg') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    connection.listen();
    client = new JsonRpcClient(connection);
    client.onNotification(RUN_EVENT, (params) => {
      if (isRunEvent(params)) store.receive(params);
    });
    client.initializeResult = await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'project' }],
      capabilities: {
        textDocument: { codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: [''] } } } },
        window: { workDoneProgress: false },
      },
    });
    await connection.sendNotification('initialized', {});
  }, 30_000);

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    server?.kill();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('lists the ensembles for a selection in code, code-review first', async () => {
    const uri = pathToFileURL(join(root, 'app.py')).href;
    const text = 'def add(a, b):\n    return a - b\n';
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 16 } };
    const names = (await listEnsembles(client, uri, range, () => undefined)).map((e) => e.name);
    expect(names[0]).toBe('code-review');
    expect(names).toContain('review');
  });

  it('runs an ensemble: the events build a finished run with every agent and the final answer', async () => {
    const { run_id } = await execute(client, RUN_ENSEMBLE, { ensemble: 'review', input: 'def add(a, b): return a - b' });
    await until(() => store.get(run_id)?.model.finished ?? false, `run ${run_id} to finish`);
    const { model, events } = store.get(run_id)!;
    expect(model.status).toBe('succeeded');
    expect(model.agents.map((a) => [a.name, a.status, a.text])).toEqual([
      ['reader-a', 'succeeded', 'reader-a says hi to everyone here'],
      ['reader-b', 'succeeded', 'reader-b says hi to everyone here'],
      ['summary', 'succeeded', 'summary says hi to everyone here'],
    ]);
    expect(model.agent('summary')!.dependsOn).toEqual(['reader-a', 'reader-b']);
    expect(model.finalAnswer).toEqual({ agent: 'summary', output: 'summary says hi to everyone here' });
    expect(model.ignored).toEqual([]);
    expect(events[0]!.type).toBe('ensemble_started');
    expect(events.at(-1)!.type).toBe('ensemble_finished');

    // A late client replays the run and ends in the same state.
    const replay = await execute(client, RUN_EVENTS, { run_id, after_seq: 0 });
    expect(replay.finished).toBe(true);
    const late = new RunStore().replace(run_id, replay.events);
    expect(late.model.agents).toEqual(model.agents);
    expect(late.model.status).toBe('succeeded');
  });

  it('cancels a run: the agent ends cancelled and the run too', async () => {
    const { run_id } = await execute(client, RUN_ENSEMBLE, { ensemble: 'stuck' });
    await until(() => store.get(run_id)?.model.agent('waiter')?.status === 'running', 'the agent to start');
    const result = await execute(client, CANCEL_RUN, { run_id });
    expect(result.status).toBe('cancelled');
    await until(() => store.get(run_id)?.model.finished ?? false, 'the cancelled run to end');
    const { model } = store.get(run_id)!;
    expect(model.status).toBe('cancelled');
    expect(model.agent('waiter')!.status).toBe('cancelled');
  });

  it('runs an ensemble file by its URI, as "Run This Ensemble" does', async () => {
    const uri = pathToFileURL(join(root, '.llm-orc', 'ensembles', 'review.yaml')).href;
    const { run_id } = await execute(client, RUN_ENSEMBLE, { ensemble: uri, uri, input: 'hello' });
    await until(() => store.get(run_id)?.model.finished ?? false, `run ${run_id} to finish`);
    expect(store.get(run_id)!.model).toMatchObject({ ensemble: 'review', status: 'succeeded' });
  });

  it('gets the server error for an ensemble that cannot run, as one line', async () => {
    const error = await execute(client, RUN_ENSEMBLE, { ensemble: 'no-such-ensemble' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/no-such-ensemble/);
    expect((error as Error).message).not.toContain('\n');
  });
});
