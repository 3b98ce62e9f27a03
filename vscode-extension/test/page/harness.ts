// Opens the results panel page in headless Chromium (Debian's, driven by playwright-core) as a
// VS Code webview would host it: the real HTML shell and CSP, served over HTTP from dist/webview,
// a stand-in for acquireVsCodeApi that records what the page posts, and a theme's variables.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type Page } from 'playwright-core';

import type { ToPage } from '../../src/webview/protocol';
import { makeNonce, panelHtml } from '../../src/webview/html';
import type { Theme } from './themes';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS = join(ROOT, 'test-results');
const WEBVIEW = join(ROOT, 'dist', 'webview');

export const CHROMIUM = process.env.LLM_ORC_CHROMIUM ?? '/usr/bin/chromium';
export const IN_CI = ['true', '1'].includes((process.env.CI ?? '').trim().toLowerCase());

/** Why the page tests cannot run here, or null. In CI that is a failure, never a skip. */
export function unavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set LLM_ORC_CHROMIUM)`;
  if (!existsSync(join(WEBVIEW, 'page.js'))) return 'dist/webview/page.js is missing: run `npm run build`';
  return null;
}

export class PanelHost {
  private constructor(
    private readonly server: Server,
    private readonly browser: Browser,
    readonly origin: string,
  ) {}

  static async start(): Promise<PanelHost> {
    const server = createServer((request, response) => {
      const origin = `http://${request.headers.host}`;
      const path = request.url?.split('?')[0] ?? '/';
      if (path === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          panelHtml({
            cspSource: origin,
            nonce: makeNonce(),
            script: readFileSync(join(WEBVIEW, 'page.js'), 'utf8'),
            style: readFileSync(join(WEBVIEW, 'panel.css'), 'utf8'),
            markdownUri: `${origin}/markdown.js`,
          }),
        );
        return;
      }
      const file = { '/markdown.js': 'markdown.js' }[path];
      if (!file) {
        response.writeHead(path === '/favicon.ico' ? 204 : 404).end(); // the browser asks for a favicon
        return;
      }
      const type = file.endsWith('.js') ? 'text/javascript' : 'text/css';
      response.writeHead(200, { 'content-type': type }).end(readFileSync(join(WEBVIEW, file)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    return new PanelHost(server, browser, `http://127.0.0.1:${port}`);
  }

  /** A fresh page showing the panel in THEME, loaded and ready for messages. */
  async open(theme: Theme, state?: { selected?: string }): Promise<PanelPage> {
    const page = await this.browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.addInitScript(
      ({ variables, bodyClass, state }) => {
        const w = window as unknown as Record<string, unknown>;
        const posted: unknown[] = [];
        const violations: string[] = [];
        let saved: unknown = state;
        w.__posted = posted;
        w.__violations = violations;
        w.__state = () => saved;
        w.acquireVsCodeApi = () => ({
          postMessage: (message: unknown) => posted.push(message),
          getState: () => saved,
          setState: (value: unknown) => (saved = value),
        });
        document.addEventListener('securitypolicyviolation', (event) => {
          violations.push(`${event.violatedDirective}: ${event.blockedURI}`);
        });
        // As VS Code does: the theme's variables on <html>, its kind as a class of <body>.
        document.addEventListener('DOMContentLoaded', () => {
          for (const [name, value] of Object.entries(variables)) document.documentElement.style.setProperty(name, value);
          document.body.classList.add(bodyClass);
        });
      },
      { variables: theme.variables, bodyClass: theme.bodyClass, state },
    );
    await page.goto(`${this.origin}/`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    return new PanelPage(page, errors);
  }

  async stop(): Promise<void> {
    await this.browser.close();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export class PanelPage {
  constructor(
    readonly page: Page,
    readonly errors: string[],
  ) {}

  /** Posts MESSAGE to the page as the extension host does, then waits for the frame that draws it. */
  send(...messages: ToPage[]): Promise<void> {
    return this.page.evaluate(
      (all) =>
        new Promise<void>((resolve) => {
          let delivered = 0;
          // Registered after the page's own listener, so this runs once the page has queued them.
          const onMessage = () => {
            if (++delivered < all.length) return;
            window.removeEventListener('message', onMessage);
            requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
          };
          window.addEventListener('message', onMessage);
          for (const message of all) window.postMessage(message, '*');
        }),
      messages,
    );
  }

  /** Waits for the next two animation frames: everything queued before has been drawn. */
  frame(): Promise<void> {
    return this.page.evaluate(
      () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
    );
  }

  posted(): Promise<{ type: string; [key: string]: unknown }[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
  }

  violations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  }

  card(agent: string) {
    return this.page.locator(`article.card[data-agent="${agent}"]`);
  }

  async cardStatus(agent: string): Promise<string> {
    return (await this.card(agent).locator('.badge').textContent()) ?? '';
  }

  /** The computed outline colour of AGENT's node in the graph. */
  nodeStroke(agent: string): Promise<string> {
    return this.page.locator(`.graph g.node[data-agent="${agent}"] rect`).evaluate((rect) => getComputedStyle(rect).stroke);
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
