// Generates src/generated/schema.ts, the TypeScript types of the documents the server sends,
// from the JSON Schemas in ../schema, so the extension and the server cannot drift apart.
// `node scripts/generate-types.mjs` rewrites the file; `--check` exits 1 when it is stale.

import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMAS = ['events.schema.json'];
export const OUTPUT = join(root, 'src', 'generated', 'schema.ts');

const BANNER = `// Generated from ../schema/{${SCHEMAS.join(',')}} by scripts/generate-types.mjs.
// Do not edit: change the schema, then run \`npm run generate\`.
/* eslint-disable */
`;

/** The generated module's text, from the schemas as they are now. */
export async function generate() {
  const parts = [];
  for (const file of SCHEMAS) {
    const schema = JSON.parse(await readFile(join(root, '..', 'schema', file), 'utf8'));
    delete schema.$id; // keeps json-schema-to-typescript from resolving it over the network
    parts.push(
      await compile(schema, schema.title ?? file, {
        bannerComment: '',
        additionalProperties: false,
        strictIndexSignatures: true,
        unreachableDefinitions: true,
        cwd: join(root, '..', 'schema'),
        format: true,
        style: { singleQuote: true, printWidth: 100 },
      }),
    );
  }
  return BANNER + '\n' + parts.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    const current = await readFile(OUTPUT, 'utf8').catch(() => '');
    if (current !== text) {
      console.error(`${OUTPUT} is stale: run \`npm run generate\``);
      process.exit(1);
    }
  } else {
    await writeFile(OUTPUT, text);
  }
}
