/**
 * Text shortening shared by the CLI, the study's reasons and the reports.
 */

/**
 * `text` cut to at most `max` UTF-16 code units, ending with "…" when cut (the ellipsis counts). The cut never splits
 * a surrogate pair, so an emoji or another character outside the Basic Multilingual Plane is kept whole or left out,
 * never left as half a character.
 */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(1, max - 1);
  const last = text.charCodeAt(end - 1);
  // A high surrogate whose low half would be cut off goes too.
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
