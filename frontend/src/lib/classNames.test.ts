import { describe, expect, it } from 'vitest';
import { cx } from './classNames';

describe('cx', () => {
  it.each([
    [['a', 'b'], 'a b'],
    [['a', false, 'b', null, undefined, ''], 'a b'],
    [[false, undefined], ''],
    [[], ''],
  ] as const)('%j → %j', (names, want) => {
    expect(cx(...names)).toBe(want);
  });
});
