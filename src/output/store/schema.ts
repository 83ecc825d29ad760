/**
 * The one schema of the result stores (SQLite and PostgreSQL), modelled on IVRE's: one row per
 * scan (or per shard of a scan), one row per (scan, address, protocol, port), the banners, and
 * a `port_latest` view. Both dialects have the same tables, columns and meanings; only the
 * column types differ:
 *
 * | what            | SQLite                                  | PostgreSQL            |
 * |-----------------|-----------------------------------------|-----------------------|
 * | address         | BLOB, 16 bytes big-endian, IPv4 as      | inet                  |
 * |                 | v4-mapped `::ffff:a.b.c.d` (memcmp order)|                       |
 * | time            | INTEGER unix seconds                    | timestamptz           |
 * | JSON            | TEXT (json_extract works)               | jsonb                 |
 * | raw bytes       | BLOB                                    | bytea                 |
 *
 * Tables:
 * - `scan`: version, command_line, seed (decimal text: a u64 does not fit a signed 64-bit
 *   column), shard_index (1-based, as --shards 1/N) and shard_count, rate, ports (the echo
 *   form `80,443,U:53`), config (JSON: what defines the scan's index space and more),
 *   config_hash (the key a shard is found by, store.ts scanKey), started_at, ended_at,
 *   status (running | paused | done | failed), resume_index (the --resume-index a resumed
 *   run starts from), attempts (runs of this row: 1 + resumes), and the counts sent, replies,
 *   found, port_results, banners.
 * - `port_result`: primary key (scan_id, addr, proto, port); status (open | closed | up),
 *   reason (TCP flags as `syn-ack`, `rst-ack`, `none`), ttl, mac (ARP), first_seen,
 *   last_seen. A port seen again in the same scan updates status/reason/ttl/last_seen.
 * - `banner`: scan_id, addr, proto, port, service, ttl, raw (the banner bytes, unescaped),
 *   fields (parsed fields as JSON, or NULL), seen.
 * - `port_latest` (view): for each (addr, proto, port), the row of the scan that saw it last.
 * - `tidescan_meta`: `schema_version` (SCHEMA_VERSION below); a store of another version is
 *   refused with one line instead of being written into.
 */

/** Bumped when a table changes; a store of another version is refused. */
export const SCHEMA_VERSION = 1;

export type ScanStatus = 'running' | 'paused' | 'done' | 'failed';

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS tidescan_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scan (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL,
  command_line TEXT NOT NULL,
  seed TEXT NOT NULL,
  shard_index INTEGER NOT NULL,
  shard_count INTEGER NOT NULL,
  rate REAL NOT NULL,
  ports TEXT NOT NULL,
  config TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'done', 'failed')),
  resume_index INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 1,
  sent INTEGER NOT NULL DEFAULT 0,
  replies INTEGER NOT NULL DEFAULT 0,
  found INTEGER NOT NULL DEFAULT 0,
  port_results INTEGER NOT NULL DEFAULT 0,
  banners INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scan_shard ON scan (seed, shard_index, shard_count, config_hash);
CREATE TABLE IF NOT EXISTS port_result (
  scan_id INTEGER NOT NULL REFERENCES scan (id) ON DELETE CASCADE,
  addr BLOB NOT NULL CHECK (length(addr) = 16),
  proto TEXT NOT NULL,
  port INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  mac TEXT,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (scan_id, addr, proto, port)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS port_result_addr ON port_result (addr);
CREATE TABLE IF NOT EXISTS banner (
  id INTEGER PRIMARY KEY,
  scan_id INTEGER NOT NULL REFERENCES scan (id) ON DELETE CASCADE,
  addr BLOB NOT NULL CHECK (length(addr) = 16),
  proto TEXT NOT NULL,
  port INTEGER NOT NULL,
  service TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  raw BLOB NOT NULL,
  fields TEXT,
  seen INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS banner_port ON banner (scan_id, addr, proto, port);
CREATE VIEW IF NOT EXISTS port_latest AS
  SELECT scan_id, addr, proto, port, status, reason, ttl, mac, first_seen, last_seen FROM (
    SELECT p.*, row_number() OVER (PARTITION BY addr, proto, port ORDER BY last_seen DESC, scan_id DESC) AS rn
    FROM port_result p)
  WHERE rn = 1;
`;

export const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS tidescan_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scan (
  id BIGSERIAL PRIMARY KEY,
  version TEXT NOT NULL,
  command_line TEXT NOT NULL,
  seed TEXT NOT NULL,
  shard_index INTEGER NOT NULL,
  shard_count INTEGER NOT NULL,
  rate DOUBLE PRECISION NOT NULL,
  ports TEXT NOT NULL,
  config JSONB NOT NULL,
  config_hash TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'done', 'failed')),
  resume_index BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 1,
  sent BIGINT NOT NULL DEFAULT 0,
  replies BIGINT NOT NULL DEFAULT 0,
  found BIGINT NOT NULL DEFAULT 0,
  port_results BIGINT NOT NULL DEFAULT 0,
  banners BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scan_shard ON scan (seed, shard_index, shard_count, config_hash);
CREATE TABLE IF NOT EXISTS port_result (
  scan_id BIGINT NOT NULL REFERENCES scan (id) ON DELETE CASCADE,
  addr INET NOT NULL,
  proto TEXT NOT NULL,
  port INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  ttl SMALLINT NOT NULL,
  mac MACADDR,
  first_seen TIMESTAMPTZ NOT NULL,
  last_seen TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (scan_id, addr, proto, port)
);
CREATE INDEX IF NOT EXISTS port_result_addr ON port_result (addr);
CREATE TABLE IF NOT EXISTS banner (
  id BIGSERIAL PRIMARY KEY,
  scan_id BIGINT NOT NULL REFERENCES scan (id) ON DELETE CASCADE,
  addr INET NOT NULL,
  proto TEXT NOT NULL,
  port INTEGER NOT NULL,
  service TEXT NOT NULL,
  ttl SMALLINT NOT NULL,
  raw BYTEA NOT NULL,
  fields JSONB,
  seen TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS banner_port ON banner (scan_id, addr, proto, port);
CREATE OR REPLACE VIEW port_latest AS
  SELECT DISTINCT ON (addr, proto, port) scan_id, addr, proto, port, status, reason, ttl, mac, first_seen, last_seen
  FROM port_result
  ORDER BY addr, proto, port, last_seen DESC, scan_id DESC;
`;

/** The 16-byte big-endian form of an address (IPv4 as ::ffff:a.b.c.d), SQLite's `addr`. */
export function addrBlob(ip: { readonly version: 4; readonly v4: number } | { readonly version: 6; readonly v6: bigint }, out: Uint8Array = new Uint8Array(16)): Uint8Array {
  if (ip.version === 4) {
    out.fill(0, 0, 10);
    out[10] = 0xff;
    out[11] = 0xff;
    out[12] = (ip.v4 >>> 24) & 255;
    out[13] = (ip.v4 >>> 16) & 255;
    out[14] = (ip.v4 >>> 8) & 255;
    out[15] = ip.v4 & 255;
    return out;
  }
  let v = ip.v6;
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** An address text (IPv4 dotted, IPv6 any RFC 4291 form) as SQLite's 16-byte `addr`. */
export function addrBlobOf(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const o = v4.slice(1).map(Number);
    if (o.some((x) => x > 255)) return undefined;
    return addrBlob({ version: 4, v4: ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0 });
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const hg = head === '' ? [] : head.split(':');
  const tg = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - hg.length - tg.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...hg, ...new Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tg];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return addrBlob({ version: 6, v6: v });
}

/** SQLite's 16-byte `addr` back to text (v4-mapped as dotted IPv4). */
export function addrText(blob: Uint8Array): string {
  if (blob.length !== 16) throw new RangeError(`address blob of ${blob.length} bytes`);
  let mapped = blob[10] === 0xff && blob[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (blob[i] !== 0) mapped = false;
  if (mapped) return `${blob[12]}.${blob[13]}.${blob[14]}.${blob[15]}`;
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((blob[i]! << 8) | blob[i + 1]!).toString(16));
  return g.join(':');
}
