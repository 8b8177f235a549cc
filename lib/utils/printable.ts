/**
 * Text from outside (an OP's error_description, a query parameter) made safe for an error
 * message or a log line: control characters become spaces, and the length is bounded.
 */
export function printable(text: string, max = 200): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? ' ' : char;
  }
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
