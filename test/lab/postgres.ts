/**
 * A throw-away PostgreSQL for tests: Debian's `postgresql` binaries (initdb, pg_ctl; see
 * scripts/setup.sh), run as the `postgres` user (so the caller must be root) in a temp
 * directory, listening on a unix socket in that directory and on 127.0.0.1 at a free port,
 * with fsync off. Trust authentication, user `postgres`, database `postgres`.
 *
 *   const pg = await startPostgres();
 *   try { ... pg.url ... } finally { await pg.stop(); }
 *
 * - `url` connects over the unix socket: it works from inside any network namespace of the
 *   lab too (a socket is a file), which 127.0.0.1 of the root namespace would not;
 * - `tcpUrl` connects over 127.0.0.1;
 * - `createDatabase(name)` gives a fresh database's URL (one per test);
 * - `stop()` stops the server (immediate mode) by its data directory and deletes the
 *   directory; it is also run at process exit if the test forgot (or failed before it).
 * Every command has a time limit.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../codec/tls-lab.js';

export interface ThrowawayPostgres {
  /** postgresql://postgres@/postgres?host=<socket dir>&port=<port> */
  readonly url: string;
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly tcpUrl: string;
  readonly port: number;
  readonly dir: string;
  /** A new empty database; its unix-socket URL. */
  createDatabase(name: string): string;
  /** Runs SQL with psql over the socket, returns stdout (unaligned, tuples only). */
  psql(sql: string, db?: string): string;
  stop(): Promise<void>;
}

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** The directory of initdb and pg_ctl (Debian keeps them out of PATH). */
export function postgresBinDir(): string | undefined {
  for (const d of BIN_DIRS) if (existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl'))) return d;
  return undefined;
}

/** Why a throw-away PostgreSQL cannot run here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (the server runs as the postgres user)';
  if (postgresBinDir() === undefined) return 'PostgreSQL is not installed (scripts/setup.sh installs postgresql)';
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return 'no postgres user';
  }
  return undefined;
}

function asPostgres(bin: string, args: readonly string[], timeout = 60_000): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

const running = new Set<() => void>();
process.once('exit', () => { for (const f of running) f(); });

export async function startPostgres(): Promise<ThrowawayPostgres> {
  const why = postgresUnavailable();
  if (why !== undefined) throw new Error(`startPostgres: ${why}`);
  const bin = postgresBinDir()!;
  const dir = mkdtempSync(path.join(tmpdir(), 'tidescan-pg-'));
  const pgUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const pgGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, pgUid, pgGid);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const port = await freePort();
  let started = false;
  const stopSync = (): void => {
    if (started) {
      try {
        asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop'], 30_000);
      } catch {
        // already stopped
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(stopSync);
  try {
    asPostgres(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60`;
    started = true;
    asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start'], 90_000);
  } catch (e) {
    const logText = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    stopSync();
    running.delete(stopSync);
    throw new Error(`startPostgres: ${e instanceof Error ? e.message : String(e)}\n${logText}`);
  }
  const urlOf = (db: string): string => `postgresql://postgres@/${db}?host=${encodeURIComponent(dir)}&port=${port}`;
  const psql = (sql: string, db = 'postgres'): string =>
    execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    url: urlOf('postgres'),
    tcpUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    createDatabase(name: string): string {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`createDatabase: bad name ${name}`);
      psql(`CREATE DATABASE ${name}`);
      return urlOf(name);
    },
    psql,
    stop(): Promise<void> {
      stopSync();
      running.delete(stopSync);
      return Promise.resolve();
    },
  };
}
