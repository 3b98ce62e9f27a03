// The results panel's second script, loaded only when a final answer is to be shown: Markdown,
// highlighting and sanitizing are most of the page's code (evaluating it is one long task), and
// neither the first paint nor the streaming needs them. It sets `window.llmOrcMarkdown`.

import DOMPurify from 'dompurify';

import { markdownToHtml } from './markdown';
import type { MarkdownRenderer } from './lazy_markdown';

const renderer: MarkdownRenderer = {
  render: (text) => DOMPurify.sanitize(markdownToHtml(text), { FORBID_ATTR: ['style'], FORBID_TAGS: ['style'] }),
};
(window as unknown as { llmOrcMarkdown: MarkdownRenderer }).llmOrcMarkdown = renderer;
