// Activation only: builds the context, registers the commands from their table, starts the server.

import type * as vscode from 'vscode';

import { activateWith } from './activate';
import { checkInterpreter, pythonApi } from './bootstrap';
import { createClient } from './client';
import { COMMANDS, panelActions } from './commands';
import { Ctx } from './ctx';

let current: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): Ctx {
  current = new Ctx(context, { createClient, pythonApi, checkInterpreter }, panelActions);
  return activateWith(context, current, COMMANDS);
}

/** Stops the language server cleanly (VS Code waits for the promise). */
export function deactivate(): Promise<void> | undefined {
  return current?.stop();
}
