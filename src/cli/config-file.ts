/**
 * masscan's config file grammar (reference §3.1), also used by paused.conf and by our --echo:
 * one `name = value` per line, both sides trimmed. Empty lines, lines that start with ASCII
 * punctuation (`#`, `;`, `[`, ...) and lines without `=` are skipped. A name may carry an
 * index (`hello-string[80] = ...`). Repeated names are all returned, in order; the options
 * table decides whether they accumulate (range, ports, exclude, ...) or the last one wins.
 */

export interface ConfigEntry {
  /** The name as written, index included (`hello-string[80]`). */
  readonly name: string;
  readonly value: string;
  /** 1-based line number, for messages. */
  readonly line: number;
}

function isAsciiPunct(c: number): boolean {
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

export function parseConfigText(text: string): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || isAsciiPunct(line.charCodeAt(0))) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (name === '') continue;
    out.push({ name, value, line: i + 1 });
  }
  return out;
}
