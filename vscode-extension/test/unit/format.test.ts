import { describe, expect, it } from 'vitest';

import { cost, tokens } from '../../src/webview/format';
import { usage } from '../fixtures/streams';

describe('usage on the page', () => {
  it('shows an unknown cost as unknown, never as $0', () => {
    expect(cost(usage(10, 5, null))).toBe('cost unknown');
    expect(cost(usage(10, 5, 0))).toBe('$0.00');
    expect(cost(usage(10, 5, 0.0012))).toBe('$0.0012');
  });

  it('marks estimated token counts', () => {
    expect(tokens({ ...usage(10, 5), estimated: true })).toBe('~15 tokens (10 in, 5 out)');
    expect(tokens(usage(10, 5))).toBe('15 tokens (10 in, 5 out)');
  });
});
