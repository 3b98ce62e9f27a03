// The final answer as HTML: Markdown (markdown-it, raw HTML off) with code blocks highlighted by
// highlight.js. The page sanitizes the result with DOMPurify before showing it.

import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, python,
  ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

function highlight(code: string, language: string): string {
  const known = language && hljs.getLanguage(language) ? language : undefined;
  const html = known
    ? hljs.highlight(code, { language: known, ignoreIllegals: true }).value
    : hljs.highlightAuto(code).value;
  return `<pre class="hljs"><code>${html}</code></pre>`;
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: false, highlight });

/** TEXT rendered as HTML (not yet sanitized). */
export function markdownToHtml(text: string): string {
  return md.render(text);
}
