/**
 * Text shortening shared by the CLI, the study's reasons and the reports.
 */
import { describeValue } from '../core/errors';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` cut to at most `max` UTF-16 code units, ending with "…" when cut (the ellipsis counts; `max` 0 gives "").
 * The cut falls between user-perceived characters (grapheme clusters), so an emoji, a flag or a letter with its
 * combining accents is kept whole or left out, never split.
 */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  const room = max - 1;
  let end = 0;
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > room) break;
    end = index + segment.length;
  }
  return `${text.slice(0, end)}…`;
}

/** A value as error messages show it ({@link describeValue}: strings quoted, NaN and Infinity by name), cut to `max`. */
export function showValue(value: unknown, max = 60): string {
  return ellipsize(describeValue(value), max);
}
