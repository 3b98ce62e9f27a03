// The results panel on the extension host side: one webview, fed the runs of the window from
// the RunStore; the page (src/webview/page.ts) renders them. Kept alive while hidden.

import { readFileSync } from 'node:fs';

import * as vscode from 'vscode';

import type { RunEvent } from './runs/events';
import type { RunStore } from './runs/run_store';
import { mark } from './timing';
import { makeNonce, panelHtml } from './webview/html';
import type { AnswerAction, FromPage, ToPage } from './webview/protocol';

export const VIEW_TYPE = 'llmOrc.results';

export interface PanelActions {
  answer(action: AnswerAction, runId: string): void | Promise<void>;
  cancel(runId: string): void | Promise<void>;
}

export class ResultsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private selected: string | null = null;
  private readonly postedText = new Set<string>();
  /** The page script and stylesheet, read once (they are inlined into the page). */
  private assets: { script: string; style: string } | undefined;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly actions: PanelActions,
  ) {
    this.subscription = store.onDidChange(({ runId, events, replaced, lost }) => {
      this.post({ type: 'events', run_id: runId, events, ...(replaced ? { replace: true } : {}), ...(lost ? { lost } : {}) });
      if (this.ready) this.notePosted(runId, events);
    });
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  /** Opens (or reveals) the panel on RUN_ID (default: the newest run). */
  show(runId?: string, preserveFocus = true): void {
    this.selected = runId ?? this.store.latest()?.model.runId ?? null;
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      if (this.selected) this.post({ type: 'select', run_id: this.selected });
      return;
    }
    this.create(preserveFocus);
  }

  /** Creates the panel when there is none (its page starts loading), keeping what it shows; for
   * a run about to start, so the page is ready when its first events arrive. Whether it did. */
  open(): boolean {
    if (this.panel) return false;
    this.create(true);
    return true;
  }

  close(): void {
    this.panel?.dispose();
  }

  private create(preserveFocus: boolean): void {
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'LLM Orc Results',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [root] },
    );
    mark('panel_created');
    this.panel = panel;
    this.ready = false;
    this.assets ??= {
      script: readAsset(vscode.Uri.joinPath(root, 'page.js')),
      style: readAsset(vscode.Uri.joinPath(root, 'panel.css')),
    };
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      ...this.assets,
      markdownUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'markdown.js')).toString(),
    });
    panel.webview.onDidReceiveMessage((message: FromPage) => this.receive(message));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
  }

  private receive(message: FromPage): void {
    switch (message.type) {
      case 'ready':
        if (message.navigatedAt) mark('page_navigated', undefined, message.navigatedAt);
        if (message.scriptAt) mark('page_script', undefined, message.scriptAt);
        mark('page_ready');
        this.ready = true;
        this.post({
          type: 'reset',
          runs: this.store.list().map((run) => ({ run_id: run.model.runId, events: run.events, ...(run.lost ? { lost: run.lost } : {}) })),
          selected: this.selected,
        });
        for (const run of this.store.list()) this.notePosted(run.model.runId, run.events);
        break;
      case 'selected':
        this.selected = message.run_id;
        break;
      case 'answer':
        void this.actions.answer(message.action, message.run_id);
        break;
      case 'cancel':
        void this.actions.cancel(message.run_id);
        break;
      case 'firstText':
        mark('painted', message.run_id, message.at);
        break;
    }
  }

  /** Marks the moment a run's first text delta went to the page (for the timing of it). */
  private notePosted(runId: string, events: readonly RunEvent[]): void {
    if (this.postedText.has(runId) || !events.some((event) => event.type === 'agent_text_delta')) return;
    this.postedText.add(runId);
    mark('posted', runId);
  }

  /** Sends MESSAGE once the page has loaded (before that, `reset` on `ready` covers it). */
  private post(message: ToPage): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
  }
}

/** A built file of the page, to inline (its source-map comment dropped: it would resolve wrongly). */
function readAsset(uri: vscode.Uri): string {
  return readFileSync(uri.fsPath, 'utf8').replace(/\n?(\/\/# sourceMappingURL=\S+|\/\*# sourceMappingURL=\S+ \*\/)\s*$/, '');
}
