// End to end in a real VS Code: code-server (from npm, in e2e/) runs the workbench, Debian's
// chromium renders it, playwright-core drives it as a user does. The packaged .vsix is installed
// into a fresh profile; the workspace's profiles use the scripted provider. Screenshots of each
// step go to test-results/e2e-*.png; the time from the command to the panel's first streamed
// text is written to test-results/e2e-timings.json.

import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = join(ROOT, 'test-results');
const CODE_SERVER = join(ROOT, 'e2e', 'node_modules', '.bin', 'code-server');
const VSIX = join(ROOT, 'dist', 'llm-orc.vsix');
const CHROMIUM = process.env.LLM_ORC_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = ['true', '1'].includes((process.env.CI ?? '').trim().toLowerCase());
const VENV = join(ROOT, '..', '.venv', 'bin', 'python');
const PYTHON = process.env.LLM_ORC_PYTHON ?? (existsSync(VENV) ? VENV : undefined);

function missing(): string | null {
  if (!existsSync(CODE_SERVER)) return `no code-server at ${CODE_SERVER} (npm ci in e2e/, see scripts/ci-install.sh)`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  if (!existsSync(VSIX)) return `no ${VSIX}: run npm run package`;
  if (!PYTHON) return 'no Python with llm-orc (set LLM_ORC_PYTHON)';
  return null;
}
const why = missing();
if (why && IN_CI) throw new Error(`${why} (CI=true: the end-to-end test must run in CI)`);

const PROFILES = `\
model_profiles:
  default:
    provider: scripted
    model: scripted-reviewer
    options:
      latency_seconds: 0.3
      chunks: 6
      reply: "{agent}: add() returns a - b where a + b is meant."
      replies:
        summary: |-
          1. **add** subtracts instead of adding: return \`a + b\`.

          \`\`\`python
          def add(a, b):
              return a + b
          \`\`\`
  stuck:
    provider: scripted
    model: scripted-reviewer
    options: {hang: true}
`;
const BROKEN = `\
name: broken
default_task: x
agents:
  - name: a
    model_profile: default
    depends_on: [ghost]
`;
const SLOW = `\
name: slow-review
description: Never finishes (to cancel)
agents:
  - name: waiter
    model_profile: stuck
`;
const APP = 'def add(a, b):\n    return a - b\n';

/** PYTHONPATH with the repository's test plugins (the scripted provider), when they are there. */
function withTestPlugins(): { PYTHONPATH?: string } {
  const plugins = join(ROOT, '..', 'tests', 'plugins');
  if (!existsSync(plugins)) return {};
  const rest = (process.env.PYTHONPATH ?? '').split(':').filter((p) => p && p !== plugins);
  return { PYTHONPATH: [plugins, ...rest].join(':') };
}

/**
 * The extension's timing marks (LLM_ORC_TIMINGS, JSON lines), per "Run Ensemble on Selection"
 * run in order: each step's time in ms after the ensemble was picked (the command itself: how
 * long before the pick: the ensemble listing and the quick pick).
 */
function runPhases(jsonl: string): Record<string, number>[] {
  const marks = jsonl
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { mark: string; run_id: string | null; t: number });
  const runs: { picked: number; at: Record<string, number>; runId: string | null }[] = [];
  let command: number | null = null;
  for (const { mark, run_id, t } of marks) {
    if (mark === 'command') command = t;
    else if (mark === 'picked') runs.push({ picked: t, at: command === null ? {} : { command_to_pick: t - command }, runId: null });
    else {
      const run = run_id === null ? runs.at(-1) : runs.find((r) => r.runId === run_id) ?? (mark === 'run_id' ? runs.at(-1) : undefined);
      if (!run) continue;
      if (mark === 'run_id') run.runId = run_id;
      run.at[mark] ??= t - run.picked;
    }
  }
  return runs.map((run) => run.at);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(why !== null)(`the extension in a real VS Code${why ? ` (skipped: ${why})` : ''}`, () => {
  let base: string;
  let workspace: string;
  let codeServer: ChildProcess;
  let browser: Browser;
  let page: Page;
  let log = '';
  let marksFile = '';
  const timings: Record<string, unknown> = {
    about:
      'ms from the ensemble picked (Enter in the quick pick): *_ms as playwright saw it (its polling across the ' +
      "webview's two iframes included), *_phases_ms from the extension's own marks (painted: the page's clock, " +
      'after the frame that drew the text); the scripted profile waits 0.05 s before its first piece',
  };

  const shot = (name: string) => page.screenshot({ path: join(RESULTS, `e2e-${name}.png`) });
  const panel = (): FrameLocator => page.frameLocator('iframe.webview').frameLocator('iframe');

  /** Runs a command from the palette, retrying while the extension's commands are not registered yet. */
  async function palette(title: string): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt++) {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      const found = await row.waitFor({ state: 'visible', timeout: 1000 }).then(
        () => true,
        () => false,
      );
      if (found) {
        await page.keyboard.press('Enter');
        return;
      }
      await page.keyboard.press('Escape');
    }
    throw new Error(`the command "${title}" never appeared in the palette\n${log}`);
  }

  async function open(file: string): Promise<void> {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(file);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: file }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator(`.tab[data-resource-name="${file}"]`).first().waitFor();
  }

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    base = realpathSync(mkdtempSync(join(tmpdir(), 'llm-orc-e2e-')));
    workspace = join(base, 'workspace');
    marksFile = join(base, 'timings.jsonl');
    const user = join(base, 'user');
    const extensions = join(base, 'extensions');
    for (const dir of ['xdg-config', 'xdg-data', 'xdg-cache', 'user/User', 'workspace/.llm-orc/ensembles']) {
      mkdirSync(join(base, dir), { recursive: true });
    }
    writeFileSync(join(workspace, '.llm-orc', 'config.yaml'), PROFILES);
    writeFileSync(join(workspace, '.llm-orc', 'ensembles', 'broken.yaml'), BROKEN);
    writeFileSync(join(workspace, '.llm-orc', 'ensembles', 'slow-review.yaml'), SLOW);
    writeFileSync(join(workspace, 'app.py'), APP);
    writeFileSync(
      join(user, 'User', 'settings.json'),
      JSON.stringify({
        'llmOrc.pythonPath': PYTHON,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'extensions.autoCheckUpdates': false,
        'telemetry.telemetryLevel': 'off',
      }),
    );
    const env = {
      ...process.env,
      ...withTestPlugins(),
      XDG_CONFIG_HOME: join(base, 'xdg-config'),
      XDG_DATA_HOME: join(base, 'xdg-data'),
      XDG_CACHE_HOME: join(base, 'xdg-cache'),
      LLM_ORC_TIMINGS: marksFile,
    };
    execFileSync(CODE_SERVER, ['--install-extension', VSIX, '--extensions-dir', extensions, '--user-data-dir', user], {
      env,
      stdio: 'pipe',
      timeout: 120_000,
    });
    const port = await freePort();
    codeServer = spawn(
      CODE_SERVER,
      [
        '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
        '--disable-workspace-trust', '--user-data-dir', user, '--extensions-dir', extensions, '--config', '/dev/null',
        workspace,
      ],
      { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('HTTP server listening on')) resolve();
      };
      codeServer.stdout!.on('data', onData);
      codeServer.stderr!.on('data', onData);
      codeServer.once('exit', (code) => reject(new Error(`code-server exited (${code})\n${log}`)));
    });
    await listening;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    if (marksFile && existsSync(marksFile)) {
      const [created, open] = runPhases(readFileSync(marksFile, 'utf8'));
      if (created) timings.panel_created_phases_ms = created;
      if (open) timings.panel_open_phases_ms = open;
    }
    writeFileSync(join(RESULTS, 'e2e-timings.json'), JSON.stringify(timings, null, 2) + '\n');
    await browser?.close();
    if (codeServer?.pid) {
      try {
        process.kill(-codeServer.pid, 'SIGTERM'); // the whole group: the extension host and the server too
      } catch {
        // already gone
      }
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('shows a broken ensemble\'s errors in the Problems panel', async () => {
    await open('broken.yaml');
    await palette('View: Focus Problems');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: "depends_on names 'ghost'" });
    await row.first().waitFor({ timeout: 60_000 });
    expect(await row.first().textContent()).toContain("which is not an agent of this ensemble");
    await expect.poll(() => page.locator('.monaco-editor .squiggly-error').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await shot('1-problems');
  }, 120_000);

  it('runs code-review on a selection: the panel streams the agents, then the final answer', async () => {
    await open('app.py');
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+A');
    await palette('LLM Orc: Run Ensemble on Selection');
    const pick = page.locator('.quick-input-list .monaco-list-row').first();
    await pick.waitFor({ timeout: 30_000 });
    expect(await pick.textContent()).toContain('code-review');
    const started = Date.now();
    await page.keyboard.press('Enter');
    const text = panel().locator('article.card pre.text:not([hidden])').first();
    await text.waitFor({ timeout: 30_000 });
    timings.command_to_first_text_ms = Date.now() - started;
    expect(await panel().locator('article.card').count()).toBe(4);
    await shot('2-streaming');
    await panel().locator('.answer .markdown').waitFor({ timeout: 30_000 });
    timings.command_to_final_answer_ms = Date.now() - started;
    expect(await panel().locator('.answer .markdown strong').textContent()).toBe('add');
    expect(await panel().locator('.answer pre.hljs .hljs-keyword').first().textContent()).toBe('def');
    for (const agent of ['bugs', 'security', 'readability', 'summary']) {
      expect(await panel().locator(`article.card[data-agent="${agent}"] .badge`).textContent()).toBe('succeeded');
    }
    expect(await panel().locator('article.card[data-agent="bugs"] pre.text').textContent()).toBe(
      'bugs: add() returns a - b where a + b is meant.',
    );
    await shot('3-finished');
  }, 120_000);

  it('with the panel open, shows the first streamed text of a new run soon after the command', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+A');
    await palette('LLM Orc: Run Ensemble on Selection');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'code-review' }).first().waitFor();
    const started = Date.now();
    await page.keyboard.press('Enter');
    // The panel switches to the new run (a second code-review in the picker), then its text
    // streams: one locator for both, so the wait polls once.
    const run2 = panel().locator('body:has(select.run-picker option:nth-child(2)) article.card pre.text:not([hidden])');
    await run2.first().waitFor({ timeout: 30_000 });
    timings.open_panel_command_to_first_text_ms = Date.now() - started;
    expect(await panel().locator('select.run-picker option').count()).toBe(2);
    await panel().locator('.answer .markdown').waitFor({ timeout: 30_000 });
  }, 120_000);

  it('cancels a run from the command palette', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+A');
    await palette('LLM Orc: Run Ensemble on Selection');
    await page.locator('.quick-input-widget input').fill('slow-review');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'slow-review' }).first().waitFor();
    await page.keyboard.press('Enter');
    const badge = panel().locator('article.card[data-agent="waiter"] .badge');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe('running');
    await palette('LLM Orc: Cancel Run');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe('cancelled');
    expect(await panel().locator('.run-status').textContent()).toBe('slow-review · cancelled');
    expect(await panel().locator('select.run-picker option').count()).toBe(3);
    await shot('4-cancelled');
  }, 120_000);

  it('keeps the panel as it was when it is hidden behind another editor and shown again', async () => {
    const tab = page.locator('.tab', { hasText: 'LLM Orc Results' });
    await tab.click();
    await page.keyboard.press('Control+N'); // a new editor in the panel's group: the webview is hidden
    await page.locator('.tab', { hasText: 'Untitled-1' }).waitFor();
    await shot('5-hidden');
    await expect.poll(() => tab.getAttribute('aria-selected'), { timeout: 10_000 }).toBe('false');
    await tab.click();
    await expect.poll(() => panel().locator('.run-status').textContent(), { timeout: 10_000 }).toBe('slow-review · cancelled');
    expect(await panel().locator('select.run-picker option').count()).toBe(3);
    await shot('6-shown-again');
  }, 60_000);
});
