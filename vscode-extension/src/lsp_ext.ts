// Every custom request and notification of the llm-orc language server, in one place, with its
// types (the event and result documents are generated from ../schema). The contract is issue 11.

import type { RunEvent, RunResult } from './runs/events';

/** Notification: one event document of a run (text deltas coalesced, so seq may skip). */
export const RUN_EVENT = 'llm-orc/runEvent';

/** vscode-languageclient's `State.Stopped`. */
export const CLIENT_STOPPED = 1;

export const RUN_ENSEMBLE = 'llm-orc.runEnsemble';
export const CANCEL_RUN = 'llm-orc.cancelRun';
export const RUN_RESULT = 'llm-orc.runResult';
export const LIST_RUNS = 'llm-orc.listRuns';
export const RUN_EVENTS = 'llm-orc.runEvents';
/** Not in the contract yet: `{uri?}` → `[{name, description}]`; used when the server has it. */
export const LIST_ENSEMBLES = 'llm-orc.listEnsembles';

export interface RunEnsembleArgs {
  ensemble: string;
  input?: string;
  uri?: string;
}

export interface RunIdArgs {
  run_id: string;
}

export interface RunEventsArgs extends RunIdArgs {
  after_seq?: number;
}

export interface RunStarted {
  run_id: string;
}

export interface RunSummary {
  run_id: string;
  ensemble: string;
  source: string | null;
  status: string;
}

export interface RunEventsReply {
  run_id: string;
  events: RunEvent[];
  finished: boolean;
}

export interface EnsembleInfo {
  name: string;
  description?: string;
}

export interface Commands {
  [RUN_ENSEMBLE]: [RunEnsembleArgs, RunStarted];
  [CANCEL_RUN]: [RunIdArgs, RunResult];
  [RUN_RESULT]: [RunIdArgs, RunResult | (RunIdArgs & { status: 'running' })];
  [LIST_RUNS]: [Record<string, never>, RunSummary[]];
  [RUN_EVENTS]: [RunEventsArgs, RunEventsReply];
  [LIST_ENSEMBLES]: [{ uri?: string }, EnsembleInfo[]];
}

/** The part of vscode-languageclient's client the extension uses (stubbed in tests). */
export interface LspClient {
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
  onNotification(method: string, handler: (params: unknown) => void): { dispose(): void };
  sendRequest<R>(method: string, params: unknown): Promise<R>;
  /** vscode-languageclient's state changes (CLIENT_STOPPED = stopped). */
  onDidChangeState(listener: (event: { oldState: number; newState: number }) => void): { dispose(): void };
  readonly initializeResult: { capabilities: { executeCommandProvider?: { commands: string[] } } } | undefined;
}

/** `workspace/executeCommand` of one of the server's commands, typed by the table above. */
export function execute<C extends keyof Commands>(
  client: LspClient,
  command: C,
  args: Commands[C][0],
): Promise<Commands[C][1]> {
  return client.sendRequest<Commands[C][1]>('workspace/executeCommand', { command, arguments: [args] });
}

export function serverHas(client: LspClient, command: string): boolean {
  return client.initializeResult?.capabilities.executeCommandProvider?.commands.includes(command) ?? false;
}

/** Whether PARAMS looks like an event document (the server is trusted, but not blindly). */
export function isRunEvent(params: unknown): params is RunEvent {
  if (typeof params !== 'object' || params === null) return false;
  const p = params as Record<string, unknown>;
  return typeof p.type === 'string' && typeof p.run_id === 'string' && typeof p.seq === 'number';
}
