// The extension's commands, each a small function of the context.

import * as vscode from 'vscode';

import type { Ctx } from './ctx';
import { listEnsembles, orderEnsembles, remember } from './ensembles';
import { CANCEL_RUN, RUN_ENSEMBLE, execute, type RunEnsembleArgs } from './lsp_ext';
import type { PanelActions } from './panel';
import { mark } from './timing';
import type { AnswerAction } from './webview/protocol';

export type Command = (ctx: Ctx) => (...args: unknown[]) => unknown;

const RECENT_KEY = 'llmOrc.recentEnsembles';

/** A top-level `default_task:` (or the public format's `task:`) in an ensemble file's text. */
const DEFAULT_TASK = /^(default_task|task)\s*:\s*\S/m;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Starts a run on the server and shows it; the run's id, or undefined (the reason shown). */
export async function startRun(ctx: Ctx, args: RunEnsembleArgs): Promise<string | undefined> {
  const client = await ctx.requireClient();
  if (!client) return undefined;
  // The panel opens (and its page loads) while the request is in flight, not after it.
  if (ctx.config.openPanelOnRun) ctx.panel.open();
  try {
    mark('request');
    const { run_id } = await execute(client, RUN_ENSEMBLE, args);
    mark('run_id', run_id);
    ctx.store.ensure(run_id);
    ctx.status.update();
    ctx.output.info(`run ${run_id}: ${args.ensemble}`);
    if (ctx.config.openPanelOnRun) ctx.panel.show(run_id);
    return run_id;
  } catch (error) {
    void vscode.window.showErrorMessage(`LLM Orc: ${errorText(error)}`);
    return undefined;
  }
}

export const runOnSelection: Command = (ctx) => async () => {
  mark('command');
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('LLM Orc: select the text to run an ensemble on first.');
    return undefined;
  }
  const latest = ctx.store.latest();
  const opening = { opened: false };
  const run = await pickAndRun(ctx, editor, opening);
  if (run === undefined && opening.opened && ctx.store.latest() === latest) ctx.panel.close();
  return run;
};

async function pickAndRun(ctx: Ctx, editor: vscode.TextEditor, opening: { opened: boolean }): Promise<string | undefined> {
  const client = await ctx.requireClient();
  if (!client) return undefined;
  const uri = editor.document.uri.toString();
  const { start, end } = editor.selection;
  const range = { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } };
  let ensembles;
  try {
    ensembles = await listEnsembles(client, uri, range, (line) => ctx.output.info(line));
  } catch (error) {
    void vscode.window.showErrorMessage(`LLM Orc: could not list the ensembles: ${errorText(error)}`);
    return undefined;
  }
  if (ensembles.length === 0) {
    void vscode.window.showWarningMessage('LLM Orc: the server offers no ensemble for this selection (see the LLM Orc output).');
    return undefined;
  }
  const recent = ctx.extension.workspaceState.get<string[]>(RECENT_KEY, []);
  const ordered = orderEnsembles(ensembles, recent, ctx.config.defaultEnsemble);
  const picking = vscode.window.showQuickPick(
    ordered.map((e) => ({ label: e.name, detail: e.description || undefined })),
    { title: 'Run ensemble on selection', placeHolder: 'Ensemble to run on the selected text', matchOnDetail: true },
  );
  // Once the pick is on screen, the panel's page loads while one is picked (that takes longer
  // than the rest of the way to the first text); closed again if no run starts.
  opening.opened = ctx.config.openPanelOnRun && ctx.panel.open();
  const picked = await picking;
  if (!picked) return undefined;
  mark('picked');
  // Not awaited: the run need not wait for the workspace state to be stored.
  ctx.extension.workspaceState.update(RECENT_KEY, remember(recent, picked.label)).then(undefined, (error: unknown) => {
    ctx.output.warn(`could not remember the ensemble used: ${errorText(error)}`);
  });
  return startRun(ctx, { ensemble: picked.label, input: editor.document.getText(editor.selection), uri });
}

export const runThisEnsemble: Command = (ctx) => async (resource?: unknown) => {
  const document =
    resource instanceof vscode.Uri
      ? await vscode.workspace.openTextDocument(resource)
      : vscode.window.activeTextEditor?.document;
  if (!document || document.languageId !== 'yaml' || document.uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('LLM Orc: open an ensemble file (YAML, saved on disk) to run it.');
    return undefined;
  }
  const args: RunEnsembleArgs = { ensemble: document.uri.toString(), uri: document.uri.toString() };
  if (!DEFAULT_TASK.test(document.getText())) {
    const input = await vscode.window.showInputBox({
      title: 'Run this ensemble',
      prompt: 'This ensemble has no default_task: what should it work on?',
      ignoreFocusOut: true,
    });
    if (input === undefined) return undefined;
    args.input = input;
  }
  return startRun(ctx, args);
};

export const showLastResult: Command = (ctx) => () => {
  const latest = ctx.store.latest();
  if (!latest) {
    void vscode.window.showInformationMessage('LLM Orc: no run yet in this window.');
    return undefined;
  }
  ctx.panel.show(latest.model.runId, false);
  return latest.model.runId;
};

export async function cancel(ctx: Ctx, runId: string): Promise<void> {
  const client = await ctx.requireClient();
  if (!client) return;
  try {
    const result = await execute(client, CANCEL_RUN, { run_id: runId });
    ctx.output.info(`run ${runId}: ${result.status}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`LLM Orc: could not cancel the run: ${errorText(error)}`);
  }
}

export const cancelRun: Command = (ctx) => async (runId?: unknown) => {
  if (typeof runId === 'string') return cancel(ctx, runId);
  const running = ctx.store.running();
  if (running.length === 0) {
    void vscode.window.showInformationMessage('LLM Orc: no run is going.');
    return undefined;
  }
  let target = running[0]!;
  if (running.length > 1) {
    const picked = await vscode.window.showQuickPick(
      running.map((run) => ({
        label: run.model.ensemble || run.model.runId,
        description: `${run.model.agents.filter((a) => a.status === 'running').length} agents running`,
        run,
      })),
      { title: 'Cancel which run?' },
    );
    if (!picked) return undefined;
    target = picked.run;
  }
  return cancel(ctx, target.model.runId);
};

export const restartServer: Command = (ctx) => async () => {
  ctx.output.info('restart requested');
  const client = await ctx.restart();
  if (client) void vscode.window.showInformationMessage('LLM Orc: the language server restarted.');
  return client !== undefined;
};

/** The panel's buttons: copy the final answer, insert it into the editor, open it as a document. */
export function panelActions(ctx: Ctx): PanelActions {
  let lastEditor = vscode.window.activeTextEditor;
  ctx.extension.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (editor) lastEditor = editor;
    }),
  );
  return {
    async answer(action: AnswerAction, runId: string) {
      const answer = ctx.store.get(runId)?.model.finalAnswer?.output;
      if (!answer) {
        void vscode.window.showInformationMessage('LLM Orc: this run has no final answer.');
        return;
      }
      if (action === 'copy') {
        await vscode.env.clipboard.writeText(answer);
      } else if (action === 'open') {
        const document = await vscode.workspace.openTextDocument({ content: answer, language: 'markdown' });
        await vscode.window.showTextDocument(document, { preview: false });
      } else {
        const editor = vscode.window.activeTextEditor ?? lastEditor ?? vscode.window.visibleTextEditors[0];
        if (!editor) {
          void vscode.window.showInformationMessage('LLM Orc: open an editor to insert the answer into.');
          return;
        }
        await editor.edit((edit) => edit.replace(editor.selection, answer));
      }
    },
    cancel: (runId: string) => cancel(ctx, runId),
  };
}

/** Every contributed command and its implementation (package.json lists the same ids). */
export const COMMANDS: Record<string, Command> = {
  'llmOrc.runOnSelection': runOnSelection,
  'llmOrc.runThisEnsemble': runThisEnsemble,
  'llmOrc.showLastResult': showLastResult,
  'llmOrc.cancelRun': cancelRun,
  'llmOrc.restartServer': restartServer,
};
