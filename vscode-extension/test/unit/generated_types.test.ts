import { readFileSync } from 'node:fs';

import { expect, it } from 'vitest';

import { OUTPUT, generate } from '../../scripts/generate-types.mjs';

it('src/generated/schema.ts is what the schemas in ../schema generate now (else: npm run generate)', async () => {
  expect(readFileSync(OUTPUT, 'utf8')).toBe(await generate());
});
