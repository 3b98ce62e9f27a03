// Loads the Markdown renderer (dist/webview/markdown.js) on first use: a script element with the
// page's nonce, from the URL the page's own script names in `data-markdown`.

export interface MarkdownRenderer {
  /** TEXT as sanitized HTML. */
  render(text: string): string;
}

type WithRenderer = { llmOrcMarkdown?: MarkdownRenderer };

const self = document.currentScript as HTMLScriptElement | null;
const source = self?.dataset.markdown ?? '';
const nonce = self?.nonce ?? '';
let loading: Promise<MarkdownRenderer> | null = null;

/** Resolves once the page has loaded: VS Code shows a webview only then (or 200 ms after it
 * was written), and a script added before would hold that up. */
export function pageLoaded(): Promise<void> {
  if (document.readyState === 'complete') return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('load', () => resolve(), { once: true }));
}

/** The renderer, loading its script (once the page has loaded) the first time. */
export function loadMarkdown(): Promise<MarkdownRenderer> {
  loading ??= pageLoaded().then(() => new Promise<MarkdownRenderer>((resolve, reject) => {
    const ready = () => (window as unknown as WithRenderer).llmOrcMarkdown;
    if (ready()) return resolve(ready()!);
    if (!source) return reject(new Error('the page names no Markdown script'));
    const script = document.createElement('script');
    script.nonce = nonce;
    script.src = source;
    script.addEventListener('load', () => {
      const renderer = ready();
      if (renderer) resolve(renderer);
      else reject(new Error('the Markdown script loaded but set no renderer'));
    });
    script.addEventListener('error', () => reject(new Error(`the Markdown script did not load (${source})`)));
    document.head.append(script);
  }));
  return loading;
}
