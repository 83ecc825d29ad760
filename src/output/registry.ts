/**
 * The one list of output formats. --output-format, -oX…, --help and the tests all come from
 * this array. A new format is added here and its name to FormatName (src/core/config.ts, which
 * may import nothing); `OutputFormat.name: FormatName` makes the compiler hold the two together.
 */
import { ScanError } from '../error.js';
import { binaryFormat } from './binary.js';
import { certsFormat } from './certs.js';
import type { FormatName, OutputFormat } from './format.js';
import { grepableFormat } from './grepable.js';
import { hostonlyFormat } from './hostonly.js';
import { interactiveFormat } from './interactive.js';
import { jsonFormat } from './json.js';
import { listFormat } from './list.js';
import { ndjsonFormat } from './ndjson.js';
import { noneFormat } from './none.js';
import { reportFormat } from './report.js';
import { unicornscanFormat } from './unicornscan.js';
import { xmlFormat } from './xml.js';

export const FORMATS: readonly OutputFormat[] = [
  interactiveFormat,
  listFormat,
  jsonFormat,
  ndjsonFormat,
  grepableFormat,
  xmlFormat,
  binaryFormat,
  unicornscanFormat,
  hostonlyFormat,
  certsFormat,
  reportFormat,
  noneFormat,
];

/** Other spellings masscan accepts for --output-format. */
const ALIASES: ReadonlyMap<string, FormatName> = new Map([['greppable', 'grepable']]);

export function findFormat(name: string): OutputFormat | undefined {
  const n = ALIASES.get(name) ?? name;
  return FORMATS.find((f) => f.name === n);
}

/** The format called `name`; ScanError ERR_BAD_OPTION naming it when there is none. */
export function getFormat(name: string): OutputFormat {
  const f = findFormat(name);
  if (f === undefined) {
    const known = FORMATS.map((x) => x.name).join(' ');
    const why = name === 'redis' ? 'redis output is not supported' : `unknown output format: ${name}`;
    throw new ScanError('ERR_BAD_OPTION', `${why} (known: ${known})`);
  }
  return f;
}
