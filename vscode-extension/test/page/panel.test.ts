// The results panel page in headless Chromium, fed recorded event streams: what a user sees.
// Screenshots go to test-results/ (gitignored).

import { mkdirSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunEvent } from '../../src/runs/events';
import { codeReviewRun, failedRun, stream } from '../fixtures/streams';
import { IN_CI, PanelHost, RESULTS, unavailable, type PanelPage } from './harness';
import { DARK, HIGH_CONTRAST, LIGHT, rgb, type Theme } from './themes';

const missing = unavailable();
if (missing && IN_CI) throw new Error(`${missing} (CI=true: the page tests must run in CI)`);

const events = (run_id: string, list: RunEvent[], replace = false) =>
  ({ type: 'events', run_id, events: list, ...(replace ? { replace } : {}) }) as const;

describe.skipIf(missing !== null)(`the results panel page${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let host: PanelHost;

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    host = await PanelHost.start();
  });
  afterAll(async () => host?.stop());

  async function withPage(theme: Theme, body: (panel: PanelPage) => Promise<void>): Promise<void> {
    const panel = await host.open(theme);
    try {
      await body(panel);
      expect(await panel.violations()).toEqual([]);
      expect(panel.errors).toEqual([]);
    } finally {
      await panel.close();
    }
  }

  for (const theme of [LIGHT, DARK]) {
    it(`shows a run live, then its final answer (${theme.name} theme)`, async () => {
      await withPage(theme, async (panel) => {
        const run = codeReviewRun('run-1');
        await panel.send({ type: 'reset', runs: [], selected: null }, events('run-1', run.slice(0, 8)));

        expect(await panel.page.locator('article.card .name').allTextContents()).toEqual([
          'bugs',
          'security',
          'readability',
          'summary',
        ]);
        expect(await panel.cardStatus('bugs')).toBe('running');
        expect(await panel.card('bugs').locator('pre.text').textContent()).toBe('add: returns a - b instead of a + b.');
        expect(await panel.card('bugs').locator('.meta').textContent()).toBe('smollm2-135m-instruct · scripted / fake');
        expect(await panel.cardStatus('security')).toBe('retrying');
        expect(await panel.card('security').locator('.note').textContent()).toBe(
          'attempt 1 failed: connection reset; retrying in 0.5 s',
        );
        expect(await panel.cardStatus('readability')).toBe('queued');
        expect(await panel.card('readability').locator('.note').textContent()).toBe(
          "waiting for a slot of provider 'scripted' (2 at a time)",
        );
        expect(await panel.cardStatus('summary')).toBe('pending');
        expect(await panel.nodeStroke('bugs')).toBe(rgb(theme.variables['--vscode-charts-blue']!));
        expect(await panel.nodeStroke('security')).toBe(rgb(theme.variables['--vscode-charts-orange']!));
        expect(await panel.nodeStroke('readability')).toBe(rgb(theme.variables['--vscode-charts-purple']!));
        expect(await panel.page.locator('.graph path.edge').count()).toBe(3);
        expect(await panel.page.locator('.answer .placeholder').textContent()).toBe(
          'The final answer appears here when the run finishes.',
        );
        expect(await panel.page.locator('button.cancel').isVisible()).toBe(true);
        await panel.screenshot(`panel-running-${theme.name}`);

        await panel.send(events('run-1', run.slice(8)));
        for (const agent of ['bugs', 'security', 'readability', 'summary']) {
          expect(await panel.cardStatus(agent)).toBe('succeeded');
          expect(await panel.nodeStroke(agent)).toBe(rgb(theme.variables['--vscode-charts-green']!));
        }
        expect(await panel.card('security').locator('.meta').textContent()).toContain('attempt 2');
        expect(await panel.card('summary').locator('footer').textContent()).toBe(
          '0.20 s · 150 tokens (90 in, 60 out) · $0.0012',
        );
        const answer = panel.page.locator('.answer');
        expect(await answer.locator('h2').textContent()).toBe('Final answer from summary');
        await answer.locator('.markdown').waitFor(); // its renderer is a second script, loaded on demand
        expect(await answer.locator('.answer-text').count()).toBe(0);
        expect(await answer.locator('.markdown ol li').allTextContents()).toEqual([
          '`add` subtracts instead of adding: use `a + b`.'.replaceAll('`', ''),
          'No input validation.',
        ]);
        expect(await answer.locator('pre.hljs .hljs-keyword').first().textContent()).toBe('def');
        expect(await answer.locator('img, script').count()).toBe(0);
        expect(await panel.page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
        expect(await panel.page.locator('.run-toolbar .totals').textContent()).toBe(
          '4/4 agents done · 276 tokens · $0.0012 · 1.25 s',
        );
        expect(await panel.page.locator('button.cancel').isVisible()).toBe(false);
        await panel.screenshot(`panel-finished-${theme.name}`);

        for (const action of ['copy', 'insert', 'open']) await answer.locator(`button[data-action="${action}"]`).click();
        const posted = (await panel.posted()).filter((m) => m.type === 'answer');
        expect(posted).toEqual([
          { type: 'answer', action: 'copy', run_id: 'run-1' },
          { type: 'answer', action: 'insert', run_id: 'run-1' },
          { type: 'answer', action: 'open', run_id: 'run-1' },
        ]);
      });
    });
  }

  it('shows a failed run: the failure, the skip and why there is no answer', async () => {
    await withPage(LIGHT, async (panel) => {
      await panel.send({ type: 'reset', runs: [{ run_id: 'bad', events: failedRun('bad') }], selected: 'bad' });
      expect(await panel.cardStatus('bugs')).toBe('failed');
      expect(await panel.card('bugs').locator('.note').textContent()).toBe('scripted failure');
      expect(await panel.nodeStroke('bugs')).toBe(rgb(LIGHT.variables['--vscode-charts-red']!));
      expect(await panel.cardStatus('summary')).toBe('skipped');
      expect(await panel.page.locator('.answer .placeholder').textContent()).toBe(
        "This run has no final answer (summary skipped: dependency 'bugs' failed).",
      );
      expect(await panel.page.locator('.run-status').textContent()).toBe('code-review · failed');
      await panel.screenshot('panel-failed-light');
    });
  });

  it('says why a run failed as a whole, and when its budget stopped it', async () => {
    await withPage(LIGHT, async (panel) => {
      const broken = failedRun('broke');
      const last = broken[broken.length - 1] as Extract<RunEvent, { type: 'ensemble_finished' }>;
      last.result = { ...last.result, error: 'RuntimeError: late' };
      const stopped = failedRun('budget');
      const end = stopped[stopped.length - 1] as Extract<RunEvent, { type: 'ensemble_finished' }>;
      end.result = {
        ...end.result,
        stopped_reason: 'budget',
        budget: { max_cost_usd: 0.01, spent_usd: 0.0102, unknown_cost_agents: [] },
      };
      await panel.send({ type: 'reset', runs: [{ run_id: 'broke', events: broken }], selected: 'broke' });
      expect(await panel.page.locator('p.warning').allTextContents()).toEqual(['The run failed: RuntimeError: late']);
      await panel.send({ type: 'reset', runs: [{ run_id: 'budget', events: stopped }], selected: 'budget' });
      expect(await panel.page.locator('p.warning').allTextContents()).toEqual([
        "Stopped: the run's budget was reached ($0.0102 of $0.0100); agents still running were cancelled.",
      ]);
    });
  });

  it('switches between the runs of the window and tells the extension', async () => {
    await withPage(DARK, async (panel) => {
      await panel.send({
        type: 'reset',
        runs: [
          { run_id: 'bad', events: failedRun('bad') },
          { run_id: 'good', events: codeReviewRun('good') },
        ],
        selected: 'good',
      });
      const picker = panel.page.locator('select.run-picker');
      expect(await picker.locator('option').count()).toBe(2);
      expect(await picker.inputValue()).toBe('good');
      expect(await panel.page.locator('.run-status').textContent()).toBe('code-review · succeeded');
      await picker.selectOption('bad');
      await panel.frame();
      expect(await panel.page.locator('.run-status').textContent()).toBe('code-review · failed');
      expect((await panel.posted()).filter((m) => m.type === 'selected')).toEqual([{ type: 'selected', run_id: 'bad' }]);
      expect(await panel.page.evaluate(() => (window as unknown as { __state(): unknown }).__state())).toEqual({ selected: 'bad' });
      await panel.send({ type: 'select', run_id: 'good' });
      expect(await panel.page.locator('.run-status').textContent()).toBe('code-review · succeeded');
    });
  });

  it('keeps up with thousands of streamed tokens, appending to one text node', async () => {
    await withPage(LIGHT, async (panel) => {
      const words = Array.from({ length: 3000 }, (_, i) => `word${i} `);
      const run = stream('long', [
        { type: 'ensemble_started', ensemble: 'long', agents: ['writer'], depends_on: { writer: [] } },
        { type: 'agent_started', agent: 'writer', model: 'm', provider: 'scripted', profile: 'fake', attempt: 1 },
        ...words.map((text) => ({ type: 'agent_text_delta' as const, agent: 'writer', attempt: 1, text })),
      ]);
      await panel.send({ type: 'reset', runs: [], selected: null });
      const batches: ToPageBatch[] = [];
      for (let i = 0; i < run.length; i += 100) batches.push(events('long', run.slice(i, i + 100)));
      await panel.send(...batches);
      const text = panel.card('writer').locator('pre.text');
      // A streaming text is redrawn at most every TEXT_INTERVAL_MS: the last batch shows soon after.
      await expect.poll(() => text.textContent(), { timeout: 5_000 }).toBe(words.join(''));
      expect(await text.evaluate((pre) => pre.childNodes.length)).toBe(1);
      expect(await panel.cardStatus('writer')).toBe('running');
    });
  });

  it('rebuilds a run replayed from the start instead of doubling its text', async () => {
    await withPage(LIGHT, async (panel) => {
      const run = codeReviewRun('r');
      await panel.send({ type: 'reset', runs: [], selected: null }, events('r', run.slice(4, 8)));
      await panel.send(events('r', run.slice(0, 8), true));
      expect(await panel.card('bugs').locator('pre.text').textContent()).toBe('add: returns a - b instead of a + b.');
      expect(await panel.page.locator('article.card').count()).toBe(4);
    });
  });

  it('shows a run lost with its server: the reason on the unfinished agents, no cancel button', async () => {
    await withPage(LIGHT, async (panel) => {
      const reason = 'the language server stopped before the run ended';
      await panel.send({ type: 'reset', runs: [{ run_id: 'lost', events: codeReviewRun('lost').slice(0, 9), lost: reason }], selected: null });
      expect(await panel.page.locator('.run-status').textContent()).toBe('code-review · lost: the server stopped');
      expect(await panel.cardStatus('bugs')).toBe('succeeded');
      expect(await panel.cardStatus('readability')).toBe('cancelled');
      expect(await panel.cardStatus('summary')).toBe('skipped');
      expect(await panel.card('summary').locator('.note').textContent()).toBe(reason);
      expect(await panel.page.locator('button.cancel').isVisible()).toBe(false);
    });
  });

  it('asks the extension to cancel a running run', async () => {
    await withPage(LIGHT, async (panel) => {
      await panel.send({ type: 'reset', runs: [{ run_id: 'live', events: codeReviewRun('live').slice(0, 5) }], selected: null });
      await panel.page.locator('button.cancel').click();
      expect((await panel.posted()).filter((m) => m.type === 'cancel')).toEqual([{ type: 'cancel', run_id: 'live' }]);
    });
  });

  it('follows a high-contrast theme', async () => {
    await withPage(HIGH_CONTRAST, async (panel) => {
      await panel.send({ type: 'reset', runs: [{ run_id: 'good', events: codeReviewRun('good') }], selected: 'good' });
      expect(await panel.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(0, 0, 0)');
      expect(await panel.nodeStroke('summary')).toBe(rgb(HIGH_CONTRAST.variables['--vscode-charts-green']!));
      await panel.screenshot('panel-finished-high-contrast');
    });
  });
});

type ToPageBatch = ReturnType<typeof events>;
