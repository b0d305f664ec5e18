import { ellipsize } from '../../src/study/text';
import { briefReason } from '../../src/study/study';
import { formatTable } from '../../src/report/format';
import type { TrialRow } from '../../src/report/rows';

const isWellFormed = (s: string): boolean => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('ellipsize', () => {
  it('keeps text that fits and cuts longer text to max code units, the ellipsis included', () => {
    expect(ellipsize('abc', 3)).toBe('abc');
    expect(ellipsize('abcdef', 4)).toBe('abc…');
    expect(ellipsize('abcdef', 4)).toHaveLength(4);
  });

  it('never splits a surrogate pair: an emoji at the cut is left out whole', () => {
    // 'ab' + U+1F600 (two code units) + 'cd': a cut after 3 code units would keep half the emoji.
    const text = 'ab\u{1F600}cd';
    expect(ellipsize(text, 4)).toBe('ab…');
    expect(isWellFormed(ellipsize(text, 4))).toBe(true);
    expect(ellipsize(text, 5)).toBe('ab\u{1F600}…');
    for (let max = 1; max <= text.length; max++) expect(isWellFormed(ellipsize(text, max))).toBe(true);
  });

  it('serves the reasons and tables that shorten text', () => {
    const reason = `${'x'.repeat(158)}\u{1F4A5} exploded`;
    const brief = briefReason(reason);
    expect(isWellFormed(brief)).toBe(true);
    expect(brief).toBe(`${'x'.repeat(158)}…`);
    const row: TrialRow = { trial: 1, jobName: 'j', hyperParameters: {}, status: 'Failed', reason: `${'y'.repeat(58)}\u{1F4A5}\u{1F4A5}` };
    const table = formatTable([row], []);
    expect(table).toContain(`${'y'.repeat(58)}…`);
    expect(isWellFormed(table)).toBe(true);
  });
});
