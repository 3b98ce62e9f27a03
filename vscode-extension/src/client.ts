// Creates the LanguageClient that spawns `<python> -m llm_orc.lsp` over stdio.

import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

import type { LspClient } from './lsp_ext';

export function createClient(python: string, output: vscode.LogOutputChannel): LspClient {
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const server: ServerOptions = {
    command: python,
    args: ['-m', 'llm_orc.lsp'],
    transport: TransportKind.stdio,
    options: cwd ? { cwd } : {},
  };
  const client: LanguageClientOptions = {
    // YAML files get diagnostics; every file can run an ensemble on its selection.
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: output,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/.llm-orc/**/*.{yaml,yml}'),
    },
  };
  return new LanguageClient('llmOrc', 'LLM Orc', server, client);
}
