// The extension's context: owns the language client's lifecycle (start, restart when the
// interpreter changes, dispose) and everything else it created: the run store, panel, status bar.

import * as vscode from 'vscode';

import { findInterpreter, installCommand, pythonApi, type Check, type Interpreter } from './bootstrap';
import { Config } from './config';
import { CLIENT_STOPPED, RUN_EVENT, RUN_EVENTS, execute, isRunEvent, serverHas, type LspClient } from './lsp_ext';
import { ResultsPanel, type PanelActions } from './panel';
import { RunStore } from './runs/run_store';
import { RunStatusBar } from './status';
import { mark } from './timing';

/** What the context needs from outside, injected so tests can stub the server and the interpreter. */
export interface Deps {
  createClient(python: string, output: vscode.LogOutputChannel): LspClient;
  pythonApi: typeof pythonApi;
  checkInterpreter(python: string): Promise<Check>;
}

export const SELECT_INTERPRETER = 'Select Interpreter…';
export const SERVER_STOPPED = 'the language server stopped before the run ended';
export const COPY_INSTALL = 'Copy Install Command';

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly output = vscode.window.createOutputChannel('LLM Orc', { log: true });
  readonly store = new RunStore();
  readonly status = new RunStatusBar(this.store);
  readonly panel: ResultsPanel;
  client: LspClient | undefined;
  interpreter: Interpreter | undefined;
  private starting: Promise<LspClient | undefined> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clientDisposables: { dispose(): void }[] = [];
  private readonly replaying = new Set<string>();
  private readonly streaming = new Set<string>();
  private watchingPython = false;

  constructor(
    readonly extension: vscode.ExtensionContext,
    private readonly deps: Deps,
    actions: (ctx: Ctx) => PanelActions,
  ) {
    this.panel = new ResultsPanel(extension.extensionUri, this.store, actions(this));
    let pythonPath = this.config.pythonPath;
    this.disposables.push(
      this.config,
      this.output,
      this.status,
      this.panel,
      this.config.onDidChange(() => {
        if (this.config.pythonPath === pythonPath) return;
        pythonPath = this.config.pythonPath;
        this.output.info(`llmOrc.pythonPath changed to ${pythonPath ?? '(unset)'}: restarting the server`);
        void this.restart();
      }),
    );
  }

  /** Starts the server once (concurrent callers share the start); undefined when it cannot start. */
  start(): Promise<LspClient | undefined> {
    if (this.client) return Promise.resolve(this.client);
    this.starting ??= this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(): Promise<LspClient | undefined> {
    await this.stop();
    return this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const disposable of this.clientDisposables.splice(0)) disposable.dispose();
    this.store.abandonRunning(SERVER_STOPPED);
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
    }
  }

  /** The running client, starting it if needed; shows why when there is none. */
  async requireClient(): Promise<LspClient | undefined> {
    const client = await this.start();
    if (!client) void vscode.window.showErrorMessage('LLM Orc: the language server is not running (see the LLM Orc output).');
    return client;
  }

  private async doStart(): Promise<LspClient | undefined> {
    const api = await this.deps.pythonApi().catch((error: unknown) => {
      this.output.warn(`the Python extension did not activate: ${String(error)}; using the default interpreter`);
      return undefined;
    });
    if (api?.environments && !this.watchingPython) {
      this.watchingPython = true;
      this.disposables.push(
        api.environments.onDidChangeActiveEnvironmentPath(() => {
          if (this.config.pythonPath) return; // the setting wins
          this.output.info("the Python extension's interpreter changed: restarting the server");
          void this.restart();
        }),
      );
    }
    const interpreter = await findInterpreter(this.config, api);
    this.interpreter = interpreter;
    this.output.info(`interpreter: ${interpreter.path} (${interpreter.source})`);
    const check = await this.deps.checkInterpreter(interpreter.path);
    if (!check.ok) {
      await this.explain(interpreter, check);
      return undefined;
    }
    const client = this.deps.createClient(interpreter.path, this.output);
    this.clientDisposables.push(
      client.onNotification(RUN_EVENT, (params) => this.receive(params)),
      // A server that stops (crashed, or restarted) takes its runs with it: say so, never spin on.
      client.onDidChangeState(({ newState }) => {
        if (newState === CLIENT_STOPPED) this.store.abandonRunning(SERVER_STOPPED);
      }),
    );
    try {
      await client.start();
    } catch (error) {
      this.output.error(`the language server did not start: ${String(error)}`);
      void vscode.window.showErrorMessage(`LLM Orc: the language server did not start: ${String(error)}`);
      for (const disposable of this.clientDisposables.splice(0)) disposable.dispose();
      return undefined;
    }
    this.client = client;
    this.output.info(`language server started: ${interpreter.path} -m llm_orc.lsp`);
    return client;
  }

  /** Says why INTERPRETER cannot run the server, with the fix, and offers another one. */
  private async explain(interpreter: Interpreter, check: Extract<Check, { ok: false }>): Promise<void> {
    const install = await installCommand(interpreter.path);
    const fix = check.missingPackage ? ` Install it with: ${install}` : ' Choose an interpreter that has llm-orc installed.';
    const message = `LLM Orc: ${check.reason} (${interpreter.source}), so the language server cannot start.${fix}`;
    this.output.error(message);
    const buttons = check.missingPackage ? [SELECT_INTERPRETER, COPY_INSTALL] : [SELECT_INTERPRETER];
    const choice = await vscode.window.showErrorMessage(message, ...buttons);
    if (choice === COPY_INSTALL) await vscode.env.clipboard.writeText(install);
    if (choice === SELECT_INTERPRETER) await this.pickInterpreter();
  }

  /**
   * Lets the user choose another Python: the Python extension's own picker when it chose this
   * one (its change restarts the server), else a file dialog whose pick becomes
   * `llmOrc.pythonPath` (which restarts it too).
   */
  async pickInterpreter(): Promise<void> {
    if (this.interpreter?.source === "the Python extension's interpreter") {
      await vscode.commands.executeCommand('python.setInterpreter');
      return;
    }
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Use this Python',
      title: 'The Python interpreter that has llm-orc installed',
    });
    const path = picked?.[0]?.fsPath;
    if (path) await this.config.setPythonPath(path);
  }

  /** One `llm-orc/runEvent` notification; a run first heard of in the middle is replayed. */
  private receive(params: unknown): void {
    if (!isRunEvent(params)) {
      this.output.warn(`ignored a malformed llm-orc/runEvent: ${JSON.stringify(params).slice(0, 200)}`);
      return;
    }
    if (params.type === 'agent_text_delta' && !this.streaming.has(params.run_id)) {
      this.streaming.add(params.run_id);
      mark('first_delta', params.run_id);
    }
    const isNew = (this.store.get(params.run_id)?.events.length ?? 0) === 0;
    const run = this.store.receive(params);
    if (isNew && this.config.openPanelOnRun) this.panel.show(params.run_id);
    if ((run.model.firstSeq ?? 1) > 1 && !this.replaying.has(params.run_id)) void this.replay(params.run_id);
  }

  private async replay(runId: string): Promise<void> {
    const client = this.client;
    if (!client || !serverHas(client, RUN_EVENTS)) return;
    this.replaying.add(runId);
    this.output.info(`run ${runId}: its start was missed, replaying its events`);
    try {
      const reply = await execute(client, RUN_EVENTS, { run_id: runId, after_seq: 0 });
      this.store.replace(runId, reply.events);
    } catch (error) {
      this.output.warn(`run ${runId}: replay failed: ${String(error)}`);
    }
  }

  dispose(): void {
    void this.stop();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}
