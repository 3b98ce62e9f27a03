// Activation only: builds the context, registers the commands from their table, starts the server.

import type * as vscode from 'vscode';

import { checkInterpreter, pythonApi } from './bootstrap';
import { createClient } from './client';
import { COMMANDS, panelActions } from './commands';
import { Ctx } from './ctx';
import { activateWith } from './activate';

export function activate(context: vscode.ExtensionContext): Ctx {
  return activateWith(context, new Ctx(context, { createClient, pythonApi, checkInterpreter }, panelActions), COMMANDS);
}

export function deactivate(): void {
  // The context is disposed with the extension's subscriptions.
}
