// A stand-in for the `vscode` module (vitest aliases `vscode` to this file): just the API the
// extension uses, with a `stub` handle for tests to script answers and read what was shown.

type Listener<T> = (value: T) => unknown;

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Disposable {
  constructor(private readonly onDispose: () => unknown = () => undefined) {}
  dispose(): void {
    this.onDispose();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, [base.fsPath, ...parts].join('/'));
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1 }
export enum ConfigurationTarget { Global = 1, Workspace = 2, WorkspaceFolder = 3 }

export interface Message {
  kind: 'error' | 'info' | 'warning';
  text: string;
  buttons: string[];
}

export class FakeWebviewPanel {
  posted: unknown[] = [];
  visible = true;
  revealed = 0;
  disposed = false;
  private readonly received = new EventEmitter<unknown>();
  private readonly disposedEmitter = new EventEmitter<void>();
  readonly webview = {
    cspSource: 'vscode-webview://stub',
    asWebviewUri: (uri: Uri) => uri,
    postMessage: (message: unknown) => {
      this.posted.push(message);
      return Promise.resolve(true);
    },
    onDidReceiveMessage: this.received.event,
    html: '',
  };
  constructor(readonly viewType: string, readonly options: Record<string, unknown>) {}
  /** The page sends MESSAGE to the extension. */
  fromPage(message: unknown): void {
    this.received.fire(message);
  }
  reveal(): void {
    this.revealed += 1;
  }
  onDidDispose = this.disposedEmitter.event;
  dispose(): void {
    this.disposed = true;
    this.disposedEmitter.fire();
  }
}

export class FakeStatusBarItem {
  text = '';
  tooltip = '';
  command: string | undefined;
  name = '';
  visible = false;
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

export class FakeOutput {
  lines: string[] = [];
  info = (line: string) => this.lines.push(`info ${line}`);
  warn = (line: string) => this.lines.push(`warn ${line}`);
  error = (line: string) => this.lines.push(`error ${line}`);
  appendLine = (line: string) => this.lines.push(line);
  dispose(): void {}
}

export interface FakeDocument {
  uri: Uri;
  languageId: string;
  getText(range?: unknown): string;
}

function freshStub() {
  return {
    settings: new Map<string, unknown>(),
    messages: [] as Message[],
    /** Picks a button for a message (default: none, as when the user closes it). */
    answerMessage: (_message: Message): string | undefined => undefined,
    quickPick: (items: { label: string }[]): { label: string } | undefined => items[0],
    quickPicks: [] as { label: string; detail?: string }[][],
    inputBox: (): string | undefined => undefined,
    openDialog: (): Uri[] | undefined => undefined,
    clipboard: '',
    panels: [] as FakeWebviewPanel[],
    statusItems: [] as FakeStatusBarItem[],
    outputs: [] as FakeOutput[],
    commands: new Map<string, (...args: unknown[]) => unknown>(),
    extensions: new Map<string, unknown>(),
    openedDocuments: [] as { content?: string; language?: string }[],
    files: new Map<string, string>(),
    configChanged: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
    activeEditorChanged: new EventEmitter<unknown>(),
  };
}

export let stub = freshStub();

export function resetStub(): void {
  stub = freshStub();
  window.activeTextEditor = undefined;
  workspace.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
}

function show(kind: Message['kind']) {
  return (text: string, ...buttons: unknown[]) => {
    const message = { kind, text, buttons: buttons.filter((b): b is string => typeof b === 'string') };
    stub.messages.push(message);
    return Promise.resolve(stub.answerMessage(message));
  };
}

export const window = {
  activeTextEditor: undefined as unknown,
  visibleTextEditors: [] as unknown[],
  createOutputChannel: () => {
    const output = new FakeOutput();
    stub.outputs.push(output);
    return output;
  },
  createStatusBarItem: () => {
    const item = new FakeStatusBarItem();
    stub.statusItems.push(item);
    return item;
  },
  createWebviewPanel: (viewType: string, _title: string, _column: unknown, options: Record<string, unknown>) => {
    const panel = new FakeWebviewPanel(viewType, options);
    stub.panels.push(panel);
    return panel;
  },
  showErrorMessage: show('error'),
  showInformationMessage: show('info'),
  showWarningMessage: show('warning'),
  showQuickPick: (items: { label: string; detail?: string }[]) => {
    stub.quickPicks.push(items);
    return Promise.resolve(stub.quickPick(items));
  },
  showInputBox: () => Promise.resolve(stub.inputBox()),
  showOpenDialog: () => Promise.resolve(stub.openDialog()),
  showTextDocument: () => Promise.resolve(undefined),
  onDidChangeActiveTextEditor: (listener: Listener<unknown>) => stub.activeEditorChanged.event(listener),
};

export const workspace = {
  workspaceFolders: [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }] as
    | { uri: Uri; name: string; index: number }[]
    | undefined,
  getConfiguration: (section: string) => ({
    get: <T>(key: string, fallback: T): T => (stub.settings.has(`${section}.${key}`) ? (stub.settings.get(`${section}.${key}`) as T) : fallback),
    update: (key: string, value: unknown) => {
      stub.settings.set(`${section}.${key}`, value);
      stub.configChanged.fire({ affectsConfiguration: (s: string) => `${section}.${key}`.startsWith(s) });
      return Promise.resolve();
    },
  }),
  onDidChangeConfiguration: (listener: Listener<{ affectsConfiguration(section: string): boolean }>) =>
    stub.configChanged.event(listener),
  openTextDocument: (arg: { content?: string; language?: string }) => {
    stub.openedDocuments.push(arg);
    return Promise.resolve({ uri: Uri.file('/untitled'), getText: () => arg.content ?? '' });
  },
  createFileSystemWatcher: () => new Disposable(),
  fs: {
    readFile: (uri: Uri) => {
      const text = stub.files.get(uri.fsPath);
      return text === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(new TextEncoder().encode(text));
    },
  },
};

export const commands = {
  registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
    stub.commands.set(id, handler);
    return new Disposable(() => stub.commands.delete(id));
  },
  executeCommand: (id: string, ...args: unknown[]) => Promise.resolve(stub.commands.get(id)?.(...args)),
};

export const extensions = {
  getExtension: (id: string) => {
    const exports = stub.extensions.get(id);
    return exports === undefined ? undefined : { isActive: true, exports, activate: () => Promise.resolve(exports) };
  },
};

export const env = {
  clipboard: {
    writeText: (text: string) => {
      stub.clipboard = text;
      return Promise.resolve();
    },
  },
};
