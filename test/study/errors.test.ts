import { StudyRequestMismatchError, formatRequestIssue } from '../../src/study/errors';

describe('values in study error messages', () => {
  it('names NaN and Infinity instead of printing them as null, and shows strings quoted', () => {
    expect(formatRequestIssue({ path: 'a.MaxValue', message: 'must be finite', received: Number.NaN })).toBe('a.MaxValue: must be finite (received NaN)');
    expect(formatRequestIssue({ path: 'a', message: 'must be finite', received: -Infinity })).toBe('a: must be finite (received -Infinity)');
    expect(formatRequestIssue({ path: 'a', message: 'must be a number', received: '5' })).toBe('a: must be a number (received "5")');
  });

  it('cuts a long value to 60 characters with an ellipsis', () => {
    const message = formatRequestIssue({ path: 'a', message: 'is too long', received: 'x'.repeat(100) });
    const shown = message.slice(message.indexOf('(received ') + '(received '.length, -1);
    expect(shown).toHaveLength(60);
    expect(shown.endsWith('…')).toBe(true);
  });

  it('shows the stored and requested values of a mismatch the same way', () => {
    const error = new StudyRequestMismatchError('s', [{ path: 'X.MaxValue', stored: 1, requested: Number.POSITIVE_INFINITY }]);
    expect(error.message).toContain('  - X.MaxValue: stored 1, requested Infinity');
  });
});
