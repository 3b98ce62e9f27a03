// The status bar item while runs are going: what runs, and a click cancels.

import * as vscode from 'vscode';

import type { RunStore } from './runs/run_store';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: { dispose(): void };
  private shown = '';

  constructor(private readonly store: RunStore) {
    this.item.command = 'llmOrc.cancelRun';
    this.item.name = 'LLM Orc runs';
    this.subscription = store.onDidChange(() => this.update());
  }

  update(): void {
    const running = this.store.running();
    const text =
      running.length === 0
        ? ''
        : running.length === 1
          ? `$(sync~spin) LLM Orc: ${running[0]!.model.ensemble || 'starting'}`
          : `$(sync~spin) LLM Orc: ${running.length} runs`;
    if (text === this.shown) return;
    this.shown = text;
    if (text === '') {
      this.item.hide();
      return;
    }
    this.item.text = text;
    this.item.tooltip = running.length === 1 ? 'Running: click to cancel' : 'Running: click to cancel one';
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
