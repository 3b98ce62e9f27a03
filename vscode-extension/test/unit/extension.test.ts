// The extension wiring against a stubbed `vscode` and a fake language client: activation,
// the interpreter choice and its failure message, restarts, the commands, the panel feed.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeEach, describe, expect, it } from 'vitest';
import * as vscode from 'vscode';

import { activateWith } from '../../src/activate';
import type { Check } from '../../src/bootstrap';
import { COMMANDS, panelActions } from '../../src/commands';
import { COPY_INSTALL, Ctx, SELECT_INTERPRETER } from '../../src/ctx';
import type { LspClient } from '../../src/lsp_ext';
import type { RunEvent } from '../../src/runs/events';
import { codeReviewRun, SUMMARY_ANSWER } from '../fixtures/streams';
import { FakeWebviewPanel, Uri, resetStub, stub } from './vscode_stub';

type Answer = (params: unknown) => unknown;

class FakeClient implements LspClient {
  requests: { method: string; params: unknown }[] = [];
  started = false;
  stopped = false;
  answers = new Map<string, Answer>();
  private handlers = new Map<string, (params: unknown) => void>();
  initializeResult = {
    capabilities: { executeCommandProvider: { commands: ['llm-orc.runEnsemble', 'llm-orc.cancelRun', 'llm-orc.runEvents'] } },
  };
  constructor(readonly python: string) {}
  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  dispose(): Promise<void> {
    return this.stop();
  }
  onNotification(method: string, handler: (params: unknown) => void) {
    this.handlers.set(method, handler);
    return { dispose: () => this.handlers.delete(method) };
  }
  sendRequest<R>(method: string, params: unknown): Promise<R> {
    this.requests.push({ method, params });
    const key = method === 'workspace/executeCommand' ? (params as { command: string }).command : method;
    const answer = this.answers.get(key);
    if (!answer) return Promise.reject(new Error(`no answer for ${key}`));
    try {
      return Promise.resolve(answer(params) as R);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  notify(method: string, params: unknown): void {
    this.handlers.get(method)?.(params);
  }
  private stateListeners = new Set<(event: { oldState: number; newState: number }) => void>();
  onDidChangeState(listener: (event: { oldState: number; newState: number }) => void) {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }
  /** The server process died: vscode-languageclient reports the client stopped. */
  die(): void {
    for (const listener of this.stateListeners) listener({ oldState: 2, newState: 1 });
  }
  commandsSent(command: string): unknown[] {
    return this.requests
      .filter((r) => r.method === 'workspace/executeCommand' && (r.params as { command: string }).command === command)
      .map((r) => (r.params as { arguments: unknown[] }).arguments[0]);
  }
}

interface Harness {
  ctx: Ctx;
  clients: FakeClient[];
  checks: string[];
  client: () => FakeClient;
}

/** An installed extension's folder with the built page files the panel inlines. */
const EXTENSION_DIR = mkdtempSync(join(tmpdir(), 'llm-orc-ext-'));
mkdirSync(join(EXTENSION_DIR, 'dist', 'webview'), { recursive: true });
writeFileSync(join(EXTENSION_DIR, 'dist', 'webview', 'page.js'), 'window.page = 1;\n//# sourceMappingURL=page.js.map\n');
writeFileSync(join(EXTENSION_DIR, 'dist', 'webview', 'panel.css'), 'body { margin: 0 }\n');

function fakeContext(): vscode.ExtensionContext {
  const state = new Map<string, unknown>();
  return {
    subscriptions: [],
    extensionUri: Uri.file(EXTENSION_DIR),
    workspaceState: {
      get: <T>(key: string, fallback: T) => (state.has(key) ? (state.get(key) as T) : fallback),
      update: (key: string, value: unknown) => {
        state.set(key, value);
        return Promise.resolve();
      },
    },
  } as unknown as vscode.ExtensionContext;
}

async function activate(check: (python: string) => Check = () => ({ ok: true })): Promise<Harness> {
  const clients: FakeClient[] = [];
  const checks: string[] = [];
  const ctx = new Ctx(
    fakeContext(),
    {
      createClient: (python) => {
        const client = new FakeClient(python);
        clients.push(client);
        return client;
      },
      pythonApi: () => Promise.resolve(stub.extensions.get('ms-python.python') as never),
      checkInterpreter: (python) => {
        checks.push(python);
        return Promise.resolve(check(python));
      },
    },
    panelActions,
  );
  activateWith(ctx.extension, ctx, COMMANDS);
  await ctx.start();
  return { ctx, clients, checks, client: () => clients.at(-1)! };
}

function run(id: string, ...args: unknown[]): Promise<unknown> {
  return Promise.resolve(stub.commands.get(id)!(...args));
}

function editorOn(text: string, selected: string, languageId = 'python') {
  const start = text.indexOf(selected);
  const before = text.slice(0, start).split('\n');
  const startPos = { line: before.length - 1, character: before.at(-1)!.length };
  const lines = selected.split('\n');
  const endPos = {
    line: startPos.line + lines.length - 1,
    character: (lines.length === 1 ? startPos.character : 0) + lines.at(-1)!.length,
  };
  const edits: string[] = [];
  const editor = {
    document: { uri: Uri.file('/work/project/app.py'), languageId, getText: (range?: unknown) => (range ? selected : text) },
    selection: { isEmpty: selected === '', start: startPos, end: endPos },
    edit: (build: (edit: { replace(range: unknown, text: string): void }) => void) => {
      build({ replace: (_range, inserted) => edits.push(inserted) });
      return Promise.resolve(true);
    },
    edits,
  };
  vscode.window.activeTextEditor = editor as never;
  return editor;
}

function notifyAll(client: FakeClient, events: RunEvent[]): void {
  for (const event of events) client.notify('llm-orc/runEvent', event);
}

beforeEach(() => resetStub());

describe('activation', () => {
  it('registers every command package.json contributes, and nothing else', async () => {
    await activate();
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    expect([...stub.commands.keys()].sort()).toEqual(contributed);
  });

  it('starts the server with llmOrc.pythonPath when it is set', async () => {
    stub.settings.set('llmOrc.pythonPath', '/venv/bin/python');
    const { client, checks } = await activate();
    expect(checks).toEqual(['/venv/bin/python']);
    expect(client().python).toBe('/venv/bin/python');
    expect(client().started).toBe(true);
  });

  it("uses the Python extension's active interpreter when that extension is there", async () => {
    stub.extensions.set('ms-python.python', {
      environments: {
        getActiveEnvironmentPath: () => ({ path: '/envs/a' }),
        resolveEnvironment: () => Promise.resolve({ executable: { uri: Uri.file('/envs/a/bin/python') } }),
        onDidChangeActiveEnvironmentPath: () => new vscode.Disposable(() => undefined),
      },
    });
    const { client } = await activate();
    expect(client().python).toBe('/envs/a/bin/python');
  });

  it('falls back to python3 and says so in the log', async () => {
    const { client, ctx } = await activate();
    expect(client().python).toBe('python3');
    const output = stub.outputs[0]!;
    expect(output.lines).toContain('info interpreter: python3 (the default)');
    expect(ctx.interpreter?.source).toBe('the default');
  });
});

describe('an interpreter without llm_orc', () => {
  const missing = (python: string): Check => ({ ok: false, reason: `${python} cannot import llm_orc`, missingPackage: true });

  it('does not start, and says how to install it with a button to pick another interpreter', async () => {
    stub.settings.set('llmOrc.pythonPath', '/usr/bin/python3');
    const { clients } = await activate(missing);
    expect(clients).toEqual([]);
    const message = stub.messages.find((m) => m.kind === 'error')!;
    expect(message.text).toBe(
      'LLM Orc: /usr/bin/python3 cannot import llm_orc (the llmOrc.pythonPath setting), so the language server cannot start. ' +
        'Install it with: /usr/bin/python3 -m pip install "llm-orc[local]"',
    );
    expect(message.buttons).toEqual([SELECT_INTERPRETER, COPY_INSTALL]);
  });

  it('offers the editable install of the checkout when the workspace is llm-orc itself', async () => {
    stub.files.set('/work/project/pyproject.toml', '[project]\nname = "llm-orc"\n');
    stub.answerMessage = (m) => (m.buttons.includes(COPY_INSTALL) ? COPY_INSTALL : undefined);
    await activate(missing);
    expect(stub.clipboard).toBe('python3 -m pip install -e "/work/project[local]"');
  });

  it('restarts on the interpreter the user picks', async () => {
    let picked = false;
    stub.answerMessage = (m) => (m.buttons.includes(SELECT_INTERPRETER) && !picked ? ((picked = true), SELECT_INTERPRETER) : undefined);
    stub.openDialog = () => [Uri.file('/good/bin/python')];
    const harness = await activate((python) => (python === '/good/bin/python' ? { ok: true } : missing(python)));
    await harness.ctx.start(); // the restart the setting change began
    expect(stub.settings.get('llmOrc.pythonPath')).toBe('/good/bin/python');
    expect(harness.client().python).toBe('/good/bin/python');
    expect(harness.client().started).toBe(true);
  });

  it("opens the Python extension's interpreter picker when that extension chose the interpreter", async () => {
    let changed: () => void = () => undefined;
    stub.extensions.set('ms-python.python', {
      environments: {
        getActiveEnvironmentPath: () => ({ path: '/envs/bare/bin/python' }),
        resolveEnvironment: () => Promise.resolve(undefined),
        onDidChangeActiveEnvironmentPath: (listener: () => void) => ((changed = listener), new vscode.Disposable(() => undefined)),
      },
    });
    let pickerOpened = 0;
    stub.commands.set('python.setInterpreter', () => (pickerOpened += 1));
    stub.answerMessage = (m) => (m.buttons.includes(SELECT_INTERPRETER) && pickerOpened === 0 ? SELECT_INTERPRETER : undefined);
    const harness = await activate(missing);
    expect(pickerOpened).toBe(1);
    expect(stub.settings.has('llmOrc.pythonPath')).toBe(false);
    expect(harness.checks).toEqual(['/envs/bare/bin/python']);
    changed(); // the user picked one: the server restarts on it
    await harness.ctx.start();
    expect(harness.checks).toHaveLength(2);
  });

  it('says when the interpreter does not exist at all, without an install line', async () => {
    await activate((python) => ({ ok: false, reason: `${python} was not found`, missingPackage: false }));
    const message = stub.messages.find((m) => m.kind === 'error')!;
    expect(message.text).toContain('python3 was not found (the default)');
    expect(message.text).not.toContain('pip install');
    expect(message.buttons).toEqual([SELECT_INTERPRETER]);
  });
});

describe('restarts', () => {
  it('restarts the server when llmOrc.pythonPath changes, stopping the old one', async () => {
    const harness = await activate();
    const first = harness.client();
    await vscode.workspace.getConfiguration('llmOrc').update('pythonPath', '/other/python');
    await harness.ctx.start();
    expect(first.stopped).toBe(true);
    expect(harness.client().python).toBe('/other/python');
    expect(harness.clients).toHaveLength(2);
  });

  it('does not restart when another llmOrc setting changes', async () => {
    const harness = await activate();
    await vscode.workspace.getConfiguration('llmOrc').update('openPanelOnRun', false);
    expect(harness.clients).toHaveLength(1);
    expect(harness.client().stopped).toBe(false);
  });

  it('"Restart Server" stops and starts a fresh client', async () => {
    const harness = await activate();
    expect(await run('llmOrc.restartServer')).toBe(true);
    expect(harness.clients).toHaveLength(2);
    expect(harness.clients[0]!.stopped).toBe(true);
  });
});

describe('Run Ensemble on Selection…', () => {
  const codeActions = () => [
    { title: 'Run ensemble code-review on selection', command: { command: 'llm-orc.runEnsemble', arguments: [{ ensemble: 'code-review', uri: 'u', input: 'x' }] } },
    { title: 'Run ensemble explain-and-summarize on selection', command: { command: 'llm-orc.runEnsemble', arguments: [{ ensemble: 'explain-and-summarize', uri: 'u', input: 'x' }] } },
    { title: 'Run this ensemble', command: { command: 'llm-orc.runEnsemble', arguments: [{ ensemble: '/x.yaml', uri: 'u' }] } },
  ];

  it('offers the server ensembles, runs the picked one on the selection and opens the panel', async () => {
    const harness = await activate();
    harness.client().answers.set('textDocument/codeAction', codeActions);
    harness.client().answers.set('llm-orc.runEnsemble', () => ({ run_id: 'run-1' }));
    editorOn('import os\ndef add(a, b):\n    return a - b\n', 'def add(a, b):\n    return a - b');
    expect(await run('llmOrc.runOnSelection')).toBe('run-1');
    expect(stub.quickPicks[0]!.map((i) => i.label)).toEqual(['code-review', 'explain-and-summarize']);
    const [codeAction] = harness.client().requests.filter((r) => r.method === 'textDocument/codeAction');
    expect(codeAction!.params).toMatchObject({ range: { start: { line: 1, character: 0 }, end: { line: 2, character: 16 } } });
    expect(harness.client().commandsSent('llm-orc.runEnsemble')).toEqual([
      { ensemble: 'code-review', input: 'def add(a, b):\n    return a - b', uri: 'file:///work/project/app.py' },
    ]);
    expect(stub.panels).toHaveLength(1);
  });

  it('offers the ensemble used last first, and the configured default before it', async () => {
    const harness = await activate();
    harness.client().answers.set('textDocument/codeAction', codeActions);
    harness.client().answers.set('llm-orc.runEnsemble', () => ({ run_id: 'r' }));
    editorOn('x = 1\n', 'x = 1');
    stub.quickPick = (items) => items.find((i) => i.label === 'explain-and-summarize');
    await run('llmOrc.runOnSelection');
    stub.quickPick = (items) => items[0];
    await run('llmOrc.runOnSelection');
    expect(stub.quickPicks[1]!.map((i) => i.label)).toEqual(['explain-and-summarize', 'code-review']);
    stub.settings.set('llmOrc.defaultEnsemble', 'code-review');
    await run('llmOrc.runOnSelection');
    expect(stub.quickPicks[2]!.map((i) => i.label)).toEqual(['code-review', 'explain-and-summarize']);
  });

  it('opens the panel once the pick is asked for (its page loads during the pick), and closes it if none is picked', async () => {
    const harness = await activate();
    harness.client().answers.set('textDocument/codeAction', codeActions);
    editorOn('x = 1\n', 'x = 1');
    let panelsBeforePick = -1;
    stub.quickPick = () => {
      panelsBeforePick = stub.panels.length;
      return undefined;
    };
    expect(await run('llmOrc.runOnSelection')).toBeUndefined();
    expect(panelsBeforePick).toBe(0); // the pick is asked for first, so it shows without waiting
    expect(stub.panels).toHaveLength(1);
    expect(stub.panels[0]!.disposed).toBe(true);
    expect(harness.client().commandsSent('llm-orc.runEnsemble')).toEqual([]);
  });

  it('shows descriptions when the server lists ensembles itself', async () => {
    const harness = await activate();
    harness.client().initializeResult.capabilities.executeCommandProvider.commands.push('llm-orc.listEnsembles');
    harness.client().answers.set('llm-orc.listEnsembles', () => [{ name: 'code-review', description: 'Three reviewers' }]);
    editorOn('x = 1\n', 'x = 1');
    stub.quickPick = () => undefined;
    await run('llmOrc.runOnSelection');
    expect(stub.quickPicks[0]).toEqual([{ label: 'code-review', detail: 'Three reviewers' }]);
  });

  it('asks for a selection instead of running on nothing', async () => {
    const harness = await activate();
    editorOn('x = 1\n', '');
    await run('llmOrc.runOnSelection');
    expect(stub.messages.map((m) => m.text)).toEqual(['LLM Orc: select the text to run an ensemble on first.']);
    expect(harness.client().requests).toEqual([]);
  });

  it("shows the server's one-line reason when a run cannot start", async () => {
    const harness = await activate();
    harness.client().answers.set('textDocument/codeAction', codeActions);
    harness.client().answers.set('llm-orc.runEnsemble', () => {
      throw new Error('code-review.yaml:3:5: unknown profile "nope"');
    });
    editorOn('x = 1\n', 'x = 1');
    expect(await run('llmOrc.runOnSelection')).toBeUndefined();
    expect(stub.messages.at(-1)).toMatchObject({ kind: 'error', text: 'LLM Orc: code-review.yaml:3:5: unknown profile "nope"' });
  });
});

describe('Run This Ensemble', () => {
  function ensembleEditor(text: string) {
    const editor = editorOn(text, '', 'yaml');
    editor.document.uri = Uri.file('/work/project/.llm-orc/ensembles/duo.yaml');
    return editor;
  }

  it('runs the file as it is in the editor, with its default_task', async () => {
    const harness = await activate();
    harness.client().answers.set('llm-orc.runEnsemble', () => ({ run_id: 'r' }));
    ensembleEditor('name: duo\ndefault_task: say hi\nagents: []\n');
    await run('llmOrc.runThisEnsemble');
    const uri = 'file:///work/project/.llm-orc/ensembles/duo.yaml';
    expect(harness.client().commandsSent('llm-orc.runEnsemble')).toEqual([{ ensemble: uri, uri }]);
  });

  it('asks for the input when the ensemble has no default_task, and stops when it is dismissed', async () => {
    const harness = await activate();
    harness.client().answers.set('llm-orc.runEnsemble', () => ({ run_id: 'r' }));
    ensembleEditor('name: duo\nagents: []\n');
    stub.inputBox = () => undefined;
    await run('llmOrc.runThisEnsemble');
    expect(harness.client().commandsSent('llm-orc.runEnsemble')).toEqual([]);
    stub.inputBox = () => 'review this';
    await run('llmOrc.runThisEnsemble');
    expect(harness.client().commandsSent('llm-orc.runEnsemble')).toMatchObject([{ input: 'review this' }]);
  });
});

describe('runs, the status bar and the panel', () => {
  it('shows a running run in the status bar with cancel, and hides it when the run ends', async () => {
    const harness = await activate();
    const events = codeReviewRun('run-1');
    notifyAll(harness.client(), events.slice(0, 5));
    const item = stub.statusItems[0]!;
    expect(item).toMatchObject({ visible: true, text: '$(sync~spin) LLM Orc: code-review', command: 'llmOrc.cancelRun' });
    notifyAll(harness.client(), events.slice(5));
    expect(item.visible).toBe(false);
  });

  it('opens the panel for a run started elsewhere (a code lens), unless the setting says not to', async () => {
    stub.settings.set('llmOrc.openPanelOnRun', false);
    const harness = await activate();
    notifyAll(harness.client(), codeReviewRun('quiet'));
    expect(stub.panels).toHaveLength(0);
    stub.settings.set('llmOrc.openPanelOnRun', true);
    notifyAll(harness.client(), codeReviewRun('loud'));
    expect(stub.panels).toHaveLength(1);
  });

  it('feeds the page: everything when it is ready, then each new event', async () => {
    const harness = await activate();
    const events = codeReviewRun('run-1');
    notifyAll(harness.client(), events.slice(0, 3));
    const panel = stub.panels[0]!;
    expect(panel.options).toMatchObject({ enableScripts: true, retainContextWhenHidden: true });
    expect(panel.webview.html).toMatch(/script-src 'nonce-[A-Za-z0-9]{32}'/);
    // The page script and stylesheet are inlined (no fetch before the first paint), the
    // Markdown script only named; the source-map comment is dropped.
    expect(panel.webview.html).toMatch(/<script nonce="[A-Za-z0-9]{32}" data-markdown="[^"]*markdown\.js">window\.page = 1;<\/script>/);
    expect(panel.webview.html).toMatch(/<style nonce="[A-Za-z0-9]{32}">body \{ margin: 0 \}\n<\/style>/);
    expect(panel.posted).toEqual([]); // not before the page said it is ready
    panel.fromPage({ type: 'ready' });
    expect(panel.posted).toEqual([{ type: 'reset', runs: [{ run_id: 'run-1', events: events.slice(0, 3) }], selected: 'run-1' }]);
    harness.client().notify('llm-orc/runEvent', events[3]);
    expect(panel.posted.at(-1)).toEqual({ type: 'events', run_id: 'run-1', events: [events[3]] });
  });

  it('replays a run whose start it missed, through llm-orc.runEvents', async () => {
    const harness = await activate();
    const events = codeReviewRun('late');
    let resolveReplay: (value: unknown) => void = () => undefined;
    const replayed = new Promise((resolve) => (resolveReplay = resolve));
    harness.client().answers.set('llm-orc.runEvents', (params) => {
      resolveReplay(params);
      return { run_id: 'late', events: events.slice(0, 6), finished: false };
    });
    harness.client().notify('llm-orc/runEvent', events[6]);
    expect(await replayed).toEqual({ command: 'llm-orc.runEvents', arguments: [{ run_id: 'late', after_seq: 0 }] });
    await Promise.resolve();
    const stored = harness.ctx.store.get('late')!;
    expect(stored.events.map((e) => e.seq)).toEqual(events.slice(0, 7).map((e) => e.seq));
  });

  it('marks the runs of a server that died lost, so nothing spins forever', async () => {
    const harness = await activate();
    const events = codeReviewRun('run-1');
    notifyAll(harness.client(), events.slice(0, 5));
    const panel = stub.panels[0]!;
    panel.fromPage({ type: 'ready' });
    harness.client().die();
    expect(stub.statusItems[0]!.visible).toBe(false);
    expect(harness.ctx.store.get('run-1')!.model.status).toBe('lost');
    expect(panel.posted.at(-1)).toEqual({
      type: 'events',
      run_id: 'run-1',
      events: [],
      lost: 'the language server stopped before the run ended',
    });
    panel.fromPage({ type: 'ready' }); // a page that (re)loads hears it too
    expect(panel.posted.at(-1)).toMatchObject({ type: 'reset', runs: [{ run_id: 'run-1', lost: 'the language server stopped before the run ended' }] });
  });

  it('"Cancel Run" cancels the only running run', async () => {
    const harness = await activate();
    harness.client().answers.set('llm-orc.cancelRun', () => ({ status: 'cancelled' }));
    notifyAll(harness.client(), codeReviewRun('run-1').slice(0, 4));
    await run('llmOrc.cancelRun');
    expect(harness.client().commandsSent('llm-orc.cancelRun')).toEqual([{ run_id: 'run-1' }]);
  });

  it('"Cancel Run" asks which when several run, and says so when none does', async () => {
    const harness = await activate();
    harness.client().answers.set('llm-orc.cancelRun', () => ({ status: 'cancelled' }));
    await run('llmOrc.cancelRun');
    expect(stub.messages.at(-1)!.text).toBe('LLM Orc: no run is going.');
    notifyAll(harness.client(), codeReviewRun('a').slice(0, 4));
    notifyAll(harness.client(), codeReviewRun('b').slice(0, 4));
    stub.quickPick = (items) => items[1];
    await run('llmOrc.cancelRun');
    expect(harness.client().commandsSent('llm-orc.cancelRun')).toEqual([{ run_id: 'b' }]);
  });

  it('"Show Last Result" shows the newest run, or says there is none', async () => {
    const harness = await activate();
    await run('llmOrc.showLastResult');
    expect(stub.messages.at(-1)!.text).toBe('LLM Orc: no run yet in this window.');
    stub.settings.set('llmOrc.openPanelOnRun', false);
    notifyAll(harness.client(), codeReviewRun('one'));
    notifyAll(harness.client(), codeReviewRun('two'));
    expect(await run('llmOrc.showLastResult')).toBe('two');
    const panel = stub.panels[0]!;
    panel.fromPage({ type: 'ready' });
    expect(panel.posted[0]).toMatchObject({ type: 'reset', selected: 'two' });
  });

  it("the page's buttons copy, insert and open the final answer", async () => {
    const harness = await activate();
    const editor = editorOn('x = 1\n', 'x = 1');
    notifyAll(harness.client(), codeReviewRun('run-1'));
    const panel: FakeWebviewPanel = stub.panels[0]!;
    const opened = new Promise<void>((resolve) => {
      const original = vscode.workspace.openTextDocument;
      vscode.workspace.openTextDocument = ((arg: never) => {
        resolve();
        return original(arg);
      }) as never;
    });
    panel.fromPage({ type: 'answer', action: 'copy', run_id: 'run-1' });
    panel.fromPage({ type: 'answer', action: 'insert', run_id: 'run-1' });
    panel.fromPage({ type: 'answer', action: 'open', run_id: 'run-1' });
    await opened;
    await Promise.resolve();
    expect(stub.clipboard).toBe(SUMMARY_ANSWER);
    expect(editor.edits).toEqual([SUMMARY_ANSWER]);
    expect(stub.openedDocuments).toEqual([{ content: SUMMARY_ANSWER, language: 'markdown' }]);
  });
});
