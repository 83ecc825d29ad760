/**
 * The one error type of the program. Every layer may import this file; it imports nothing.
 *
 * A ScanError is an expected failure caused by input (a bad option, a bad file, a packet we
 * refuse) or by the environment (no permission, no interface). The command line prints
 * `message` as one line and exits with code 1; it never prints a stack trace for one.
 */
export type ErrorCode =
  | 'ERR_USAGE' // unknown option, missing value, conflicting operations
  | 'ERR_BAD_OPTION' // an option value that does not parse
  | 'ERR_BAD_RANGE' // an address, range or CIDR that does not parse
  | 'ERR_BAD_PORT' // a port list that does not parse
  | 'ERR_BAD_SHARD'
  | 'ERR_BAD_RATE'
  | 'ERR_BAD_SEED'
  | 'ERR_FILE' // a file that cannot be read or written
  | 'ERR_EMPTY_TARGETS'
  | 'ERR_NO_PORTS'
  | 'ERR_TOO_BIG' // a scan larger than masscan's safety limit or 2^53 probes
  | 'ERR_CORRUPT' // a binary scan file or packet capture that is damaged
  | 'ERR_ADAPTER' // no such interface, interface down, no address
  | 'ERR_PERMISSION' // not root / no CAP_NET_RAW
  | 'ERR_NATIVE' // the native addon is missing or failed
  | 'ERR_INTERNAL';

export class ScanError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(oneLine(message));
    this.code = code;
    this.name = 'ScanError';
  }
}

/**
 * Control characters written as escapes: a message quotes hostile values (an argument, a
 * file line, a banner), and a raw line break or terminal control in one would break the
 * one-line error or the terminal. Idempotent (its output holds no control character).
 */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16)}`;
  });
}

export function isScanError(e: unknown): e is ScanError {
  return e instanceof ScanError;
}
