// Registers the commands of a context and starts its server (main.ts wires the real parts in).

import * as vscode from 'vscode';

import type { Command } from './commands';
import type { Ctx } from './ctx';

export function activateWith(context: vscode.ExtensionContext, ctx: Ctx, commands: Record<string, Command>): Ctx {
  context.subscriptions.push(ctx);
  for (const [id, command] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, command(ctx)));
  }
  void ctx.start();
  return ctx;
}
