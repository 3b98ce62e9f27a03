// A typed view of the `llmOrc.*` settings, with an event when one of them changes.

import * as vscode from 'vscode';

export const SECTION = 'llmOrc';

export class Config {
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fired when any `llmOrc.*` setting changes. */
  readonly onDidChange = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(SECTION)) this.emitter.fire();
    });
  }

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** The interpreter set by the user, or undefined (then the Python extension's, else python3). */
  get pythonPath(): string | undefined {
    const value = this.settings.get<string>('pythonPath', '').trim();
    return value === '' ? undefined : value;
  }

  get defaultEnsemble(): string | undefined {
    const value = this.settings.get<string>('defaultEnsemble', '').trim();
    return value === '' ? undefined : value;
  }

  get openPanelOnRun(): boolean {
    return this.settings.get<boolean>('openPanelOnRun', true);
  }

  async setPythonPath(path: string): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await this.settings.update('pythonPath', path, target);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
