/**
 * Application-protocol ids of masscan binary files (reference §9.6) and their printed names.
 *
 * Two numberings exist for the same `masscan/1.1` header:
 * - HEAD (current masscan, 1.3.9): 0..36, with 16 = X509CA.
 * - 1.3.2 (Debian/Ubuntu/Kali/Homebrew package): no X509CA, so every id from 16 up is one
 *   lower (16 title, 17 html, ... 30 http.server) and nothing exists past 30.
 * The header does not tell them apart, so the reader is told which to use (default HEAD, the
 * numbering tidescan writes); see readscan.ts for the heuristic warning. An id with no name
 * prints as `(N)`, as masscan prints it.
 */

import type { AppNumbering } from '../core/config.js';

export type { AppNumbering };

/** HEAD numbering: index = id. */
export const APP_NAMES_HEAD: readonly string[] = [
  'unknown', // 0 none
  'unknown', // 1 heuristic
  'ssh', // 2 ssh v1
  'ssh', // 3 ssh v2
  'http', // 4
  'ftp', // 5
  'dns-ver', // 6
  'snmp', // 7
  'nbtstat', // 8
  'ssl', // 9
  'smb', // 10
  'smtp', // 11
  'pop', // 12
  'imap', // 13
  'zeroaccess', // 14
  'X509', // 15
  'X509CA', // 16 (HEAD only)
  'title', // 17
  'html', // 18
  'ntp', // 19
  'vuln', // 20
  'heartbleed', // 21
  'ticketbleed', // 22
  'vnc', // 23 (old VNC parser)
  'safe', // 24
  'memcached', // 25
  'scripting', // 26
  'versioning', // 27
  'coap', // 28
  'telnet', // 29
  'rdp', // 30
  'http.server', // 31
  'minecraft', // 32
  'vnc', // 33
  'vnc-info', // 34
  'isakmp', // 35
  'error', // 36
];

/** 1.3.2 numbering (observed with Debian's masscan 1.3.2): ids 0..30. */
export const APP_NAMES_132: readonly string[] = [
  ...APP_NAMES_HEAD.slice(0, 16),
  ...APP_NAMES_HEAD.slice(17, 32),
];

/** The id written for each name of a numbering: `preferred` for names listed twice, else the first id. */
function idsByName(names: readonly string[], preferred: readonly (readonly [string, number])[]): Map<string, number> {
  const ids = new Map<string, number>(preferred);
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (!ids.has(n)) ids.set(n, i);
  }
  return ids;
}

// Preferred ids for names listed twice: ssh v2, the current VNC parser, plain unknown.
const HEAD_ID_OF = idsByName(APP_NAMES_HEAD, [['ssh', 3], ['vnc', 33], ['unknown', 0]]);
const ID_132_OF = idsByName(APP_NAMES_132, [['ssh', 3], ['vnc', 22], ['unknown', 0]]);

const UNKNOWN_ID = /^\((\d{1,5})\)$/;

/** The printed name of an app-proto id: `(N)` when the numbering has no such id. */
export function appProtoName(id: number, numbering: AppNumbering = 'head'): string {
  const table = numbering === 'head' ? APP_NAMES_HEAD : APP_NAMES_132;
  const n = table[id];
  return n !== undefined ? n : `(${id})`;
}

/**
 * The id to write for a service name, or -1 when the numbering has no such name. `(N)` (the
 * name printed for an unknown id) maps back to N so that unknown ids survive a round trip.
 */
export function appProtoId(name: string, numbering: AppNumbering = 'head'): number {
  const id = (numbering === 'head' ? HEAD_ID_OF : ID_132_OF).get(name);
  if (id !== undefined) return id;
  const m = UNKNOWN_ID.exec(name);
  if (m !== null) {
    const v = Number(m[1]);
    if (v <= 0xffff) return v;
  }
  return -1;
}

/** The HEAD id that a 1.3.2 id means (identity for HEAD). */
export function toHeadId(id: number, numbering: AppNumbering): number {
  return numbering === '1.3.2' && id >= 16 && id <= 30 ? id + 1 : id;
}

/**
 * `--banner-type` words (reference §9.6, exact and case-sensitive) and the HEAD ids each one
 * selects. `ssh` selects both SSH versions.
 */
export const BANNER_TYPE_IDS: ReadonlyMap<string, readonly number[]> = new Map<string, readonly number[]>([
  ['ssh1', [2]], ['ssh2', [3]], ['ssh', [2, 3]], ['http', [4]], ['ftp', [5]],
  ['dns-ver', [6]], ['snmp', [7]], ['nbtstat', [8]], ['ssl', [9]], ['smtp', [11]],
  ['smb', [10]], ['pop', [12]], ['imap', [13]], ['x509', [15]], ['x509ca', [16]],
  ['zeroaccess', [14]], ['title', [17]], ['html', [18]], ['ntp', [19]], ['vuln', [20]],
  ['heartbleed', [21]], ['ticketbleed', [22]], ['vnc-old', [23]], ['safe', [24]],
  ['memcached', [25]], ['scripting', [26]], ['versioning', [27]], ['coap', [28]],
  ['telnet', [29]], ['rdp', [30]], ['http.server', [31]], ['minecraft', [32]], ['vnc', [33]],
  ['vnc-info', [34]], ['isakmp', [35]],
]);
