// A language client session on the llm-orc server, built only from vscode-jsonrpc: the server is
// spawned over stdio and spoken to in raw LSP JSON-RPC (no pygls anywhere on this side).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';

export const PYTHON = process.env.LLM_ORC_PYTHON || 'python3';
export const WAIT_MS = 15_000;

// The profiles of tests/lsp/conftest.py: scripted, so runs need no model.
export const PROFILES = `\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options: {reply: "{agent} says hi"}
  echo:
    provider: scripted
    model: fake-model
    options: {echo_prompt: true}
`;

export const uriOf = (path) => pathToFileURL(path).href;

/** A temporary project with `.llm-orc/config.yaml` and an ensembles folder, plus an empty
 * global configuration home. */
export function makeProject(profiles = PROFILES) {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'llm-orc-protocol-')));
  const root = join(base, 'project');
  const xdg = join(base, 'xdg');
  mkdirSync(join(root, '.llm-orc', 'ensembles'), { recursive: true });
  mkdirSync(xdg);
  writeFileSync(join(root, '.llm-orc', 'config.yaml'), profiles);
  return {
    base,
    root,
    xdg,
    path: (...parts) => join(root, ...parts),
    write(relative, text) {
      const path = join(root, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** VS Code-like client capabilities (the parts this server looks at). */
export function clientCapabilities({ pull = false, workDoneProgress = false } = {}) {
  const textDocument = {
    synchronization: { dynamicRegistration: false, didSave: true },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: true,
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    codeAction: {
      dynamicRegistration: false,
      codeActionLiteralSupport: {
        codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source'] },
      },
    },
  };
  if (pull) textDocument.diagnostic = { dynamicRegistration: false, relatedDocumentSupport: true };
  return {
    general: { positionEncodings: ['utf-16'] },
    textDocument,
    window: { workDoneProgress },
    workspace: { workspaceFolders: true, configuration: true },
  };
}

/** Spawns the server and wraps it in a message connection that records everything the server
 * sends: notifications, requests (answered with null unless a handler is given) and progress. */
export class Session {
  constructor(project, { onRequest = {} } = {}) {
    this.project = project;
    // What the server sent, each with `seq`: its place in the order of arrival across all three.
    this.notifications = []; // {seq, method, params}
    this.requests = []; // {seq, method, params}
    this.progress = []; // {seq, token, value}
    this.seq = 0;
    this.stderr = '';
    this.errors = []; // what vscode-jsonrpc could not read: anything but LSP on stdout
    this.waiters = new Set();
    this.proc = spawn(PYTHON, ['-m', 'llm_orc.lsp'], {
      cwd: project.root,
      env: { ...process.env, XDG_CONFIG_HOME: project.xdg },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.conn = createMessageConnection(
      new StreamMessageReader(this.proc.stdout),
      new StreamMessageWriter(this.proc.stdin),
    );
    this.conn.onNotification((method, params) => {
      this.notifications.push({ seq: this.seq++, method, params });
      this.wake();
    });
    // `$/progress` never reaches the star handler: vscode-jsonrpc routes it by token.
    this.conn.onUnhandledProgress(({ token, value }) => {
      this.progress.push({ seq: this.seq++, token, value });
      this.wake();
    });
    this.conn.onRequest((method, params) => {
      this.requests.push({ seq: this.seq++, method, params });
      this.wake();
      const handler = onRequest[method];
      return handler ? handler(params) : null;
    });
    this.conn.onError(([error]) => {
      this.errors.push(error);
    });
    this.conn.listen();
  }

  wake() {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with CHECK's first truthy value, re-checked on every message; rejects after
   * WAIT_MS with DESCRIPTION and what the server wrote to stderr. */
  until(check, description = 'a condition') {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        let value;
        try {
          value = check();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (value) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${description}; server stderr:\n${this.stderr}`));
      }, WAIT_MS);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter();
    });
  }

  request(method, params) {
    return this.conn.sendRequest(method, params);
  }

  notify(method, params) {
    return this.conn.sendNotification(method, params);
  }

  async initialize(capabilities) {
    const rootUri = uriOf(this.project.root);
    const result = await this.request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'llm-orc protocol tests (vscode-jsonrpc)' },
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'project' }],
      capabilities,
    });
    await this.notify('initialized', {});
    return result;
  }

  open(path, text, languageId = 'yaml', version = 1) {
    const uri = uriOf(path);
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
    return uri;
  }

  change(uri, version, text) {
    return this.notify('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  }

  /** Every publishDiagnostics params sent so far for URI. */
  published(uri) {
    return this.notifications
      .filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri)
      .map((n) => n.params);
  }

  /** The publishDiagnostics params for URI at VERSION (waits for it). */
  diagnosticsFor(uri, version) {
    return this.until(
      () => this.published(uri).find((p) => p.version === version),
      `publishDiagnostics for ${uri} version ${version}`,
    );
  }

  /** shutdown, exit, and the process's exit status (kills it if it does not exit in time). */
  async shutdown() {
    const result = await this.request('shutdown');
    await this.notify('exit');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), WAIT_MS);
    const status = await this.exited;
    clearTimeout(timer);
    this.conn.dispose();
    return { result, ...status };
  }

  /** For `after` hooks: end the process whatever state the test left it in, and show what
   * the server logged (warnings and errors only, by default) next to the test's report. */
  async dispose() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    this.conn.dispose();
    if (this.stderr.trim()) console.log(`server stderr:\n${this.stderr}`);
  }
}

/** The LSP range of NEEDLE on line LINE of TEXT, in UTF-16 code units (JavaScript's own string
 * indexing), for stating expected diagnostics the way the editor shows them. */
export function rangeOf(text, line, needle) {
  const character = text.split('\n')[line].indexOf(needle);
  if (character < 0) throw new Error(`'${needle}' is not on line ${line}`);
  return {
    start: { line, character },
    end: { line, character: character + needle.length },
  };
}

/** Diagnostics in a stable order (by position, then code): LSP leaves their order open. */
export function sorted(diagnostics) {
  const key = (d) => [d.range.start.line, d.range.start.character, String(d.code)];
  return [...diagnostics].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
  });
}
