import { describe, expect, it } from 'vitest';

import { markdownToHtml } from '../../src/webview/markdown';

describe('the final answer as HTML', () => {
  it('renders lists and highlights a fenced code block by its language', () => {
    const html = markdownToHtml('1. fix `add`\n\n```python\ndef add(a, b):\n    return a + b\n```\n');
    expect(html).toContain('<ol>');
    expect(html).toContain('<code>add</code>');
    expect(html).toContain('<pre class="hljs"><code><span class="hljs-keyword">def</span>');
  });

  it('escapes raw HTML instead of passing it through', () => {
    const html = markdownToHtml('<script>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
  });
});
