// The results panel's HTML shell: a strict Content-Security-Policy (scripts and styles only
// with the nonce or from the extension's files). The stylesheet and the page script are inlined
// (no fetch before the first paint); the Markdown script is loaded by the page when needed.

export interface PageAssets {
  /** The webview's `cspSource` (where the extension's files are served from). */
  cspSource: string;
  nonce: string;
  /** The page script (dist/webview/page.js) and stylesheet (panel.css), inlined. */
  script: string;
  style: string;
  /** Where the Markdown script (dist/webview/markdown.js) is served from. */
  markdownUri: string;
}

/** Fails on a text that would end (or confuse) the element it is inlined into. */
function inlinable(text: string, tag: 'script' | 'style'): string {
  if (new RegExp(`<!--|</?${tag}`, 'i').test(text)) throw new Error(`the ${tag} cannot be inlined: it contains <!-- or a ${tag} tag`);
  return text;
}

export function panelHtml({ cspSource, nonce, script, style, markdownUri }: PageAssets): string {
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${inlinable(style, 'style')}</style>
<title>LLM Orc results</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="empty">No run yet. Select some code and run “LLM Orc: Run Ensemble on Selection…”.</p></main>
<script nonce="${nonce}" data-markdown="${escapeAttribute(markdownUri)}">${inlinable(script, 'script')}</script>
</body>
</html>`;
}

/** A fresh nonce for one page load. */
export function makeNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
