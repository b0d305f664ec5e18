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

  it('never returns more than max code units', () => {
    expect(ellipsize('abc', 1)).toBe('…');
    expect(ellipsize('abc', 0)).toBe('');
    const samples = ['plain text that is long', 'ab\u{1F600}cd', 'x\u{1F1EB}\u{1F1F7}y', 'e\u0301e\u0301e\u0301'];
    for (const text of samples) for (let max = 0; max <= text.length + 1; max++) expect(ellipsize(text, max).length).toBeLessThanOrEqual(max);
  });

  it('cuts between user-perceived characters: a flag, a family emoji and an accented letter stay whole', () => {
    expect(ellipsize('x\u{1F1EB}\u{1F1F7}yz', 4)).toBe('x…'); // the French flag is two code points, four units
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'; // one grapheme of 8 code units
    expect(ellipsize(`ab${family}cd`, 9)).toBe('ab…');
    expect(ellipsize('e\u0301tude', 2)).toBe('…'); // e + combining acute is one character
    expect(ellipsize('e\u0301tude', 4)).toBe('e\u0301t…');
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
