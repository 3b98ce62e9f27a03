// Which Python runs the language server, and whether it can: `llmOrc.pythonPath`, else the
// Python extension's active interpreter when that extension is there, else `python3`.

import { execFile } from 'node:child_process';

import * as vscode from 'vscode';

import type { Config } from './config';

export const PYTHON_EXTENSION = 'ms-python.python';

export interface Interpreter {
  path: string;
  /** Where the choice came from, said in messages and the log. */
  source: 'the llmOrc.pythonPath setting' | "the Python extension's interpreter" | 'the default';
}

/** The subset of the Python extension's API used here. */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(path: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

export async function pythonApi(): Promise<PythonApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!extension) return undefined;
  return extension.isActive ? extension.exports : await extension.activate();
}

export async function findInterpreter(config: Config, api: PythonApi | undefined): Promise<Interpreter> {
  const configured = config.pythonPath;
  if (configured) return { path: configured, source: 'the llmOrc.pythonPath setting' };
  const environments = api?.environments;
  if (environments) {
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = environments.getActiveEnvironmentPath(resource);
    const resolved = await environments.resolveEnvironment(active);
    const path = resolved?.executable.uri?.fsPath ?? active.path;
    if (path) return { path, source: "the Python extension's interpreter" };
  }
  return { path: 'python3', source: 'the default' };
}

export type Check = { ok: true } | { ok: false; reason: string; missingPackage: boolean };

/** Whether PYTHON exists and imports llm_orc (bounded: 30 s). */
export function checkInterpreter(python: string): Promise<Check> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import llm_orc.lsp'], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve({ ok: false, reason: `${python} was not found`, missingPackage: false });
      if (/ModuleNotFoundError: No module named 'llm_orc/.test(stderr)) {
        return resolve({ ok: false, reason: `${python} cannot import llm_orc`, missingPackage: true });
      }
      const last = stderr.trim().split('\n').at(-1) ?? String(error.message);
      resolve({ ok: false, reason: `${python} failed to import llm_orc: ${last}`, missingPackage: false });
    });
  });
}

function quote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `"${path.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** The exact command that installs llm-orc into PYTHON: from the checkout when the workspace is one. */
export async function installCommand(python: string): Promise<string> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const pyproject = vscode.Uri.joinPath(folder.uri, 'pyproject.toml');
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(pyproject));
      if (/^name\s*=\s*"llm-orc"/m.test(text)) {
        return `${quote(python)} -m pip install -e ${quote(`${folder.uri.fsPath}[local]`)}`;
      }
    } catch {
      // no pyproject.toml in this folder
    }
  }
  return `${quote(python)} -m pip install "llm-orc[local]"`;
}
