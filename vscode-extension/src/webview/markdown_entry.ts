// The results panel's second script, loaded only when a final answer is to be shown (or once
// the page is idle): Markdown, highlighting and sanitizing are most of the page's code, and the
// first paint needs none of them. It sets `window.llmOrcMarkdown`.

import DOMPurify from 'dompurify';

import { markdownToHtml } from './markdown';
import type { MarkdownRenderer } from './lazy_markdown';

const renderer: MarkdownRenderer = {
  render: (text) => DOMPurify.sanitize(markdownToHtml(text), { FORBID_ATTR: ['style'], FORBID_TAGS: ['style'] }),
};
(window as unknown as { llmOrcMarkdown: MarkdownRenderer }).llmOrcMarkdown = renderer;
