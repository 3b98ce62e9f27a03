// Bundles the extension host code (Node, CommonJS) and the results panel page (browser, IIFE)
// with esbuild, and copies the ensemble schema in from ../schema for `yamlValidation`.
// `--watch` rebuilds on change.

import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaSource = join(root, '..', 'schema', 'ensemble.schema.json');
const watch = process.argv.includes('--watch');

const common = { bundle: true, sourcemap: true, minify: !watch, logLevel: 'warning', absWorkingDir: root };
const builds = [
  {
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: { page: 'src/webview/page.ts', markdown: 'src/webview/markdown_entry.ts', panel: 'src/webview/panel.css' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

async function copySchema() {
  await mkdir(join(root, 'dist', 'schema'), { recursive: true });
  await copyFile(schemaSource, join(root, 'dist', 'schema', 'ensemble.schema.json'));
}

await copySchema();
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('watching src/ for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
