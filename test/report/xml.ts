/** Test helper: a strict-enough well-formedness check for the SVG and HTML the report writes. */

/** Checks that every element in an SVG/XML fragment is closed in order; returns the tag names seen. */
export function checkBalanced(xml: string, voidElements: readonly string[] = []): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      seen.push(name);
      if (!selfClosing && !voidElements.includes(name.toLowerCase())) stack.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  return seen;
}
