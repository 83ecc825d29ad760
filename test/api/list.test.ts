/**
 * listTargets() is the -sL plan: the same items in the same order as the command line's -sL
 * (commands/list.ts ListRenderer), for IPv4 and IPv6, ports of several protocols, shards and
 * resume; bad options throw with the command line's code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listTargets } from '../../src/api/list.js';
import type { ListOptions } from '../../src/api/options.js';
import { ListRenderer } from '../../src/commands/list.js';
import { ScanError } from '../../src/error.js';
import { simConfig } from '../engine/scan-sim.js';

/** The -sL lines of a command line, rendered as the command does. */
function cliLines(args: string): string[] {
  const r = new ListRenderer(simConfig(`${args} -sL`));
  const buf = new Uint8Array(1 << 20);
  const filled = new Int32Array(1);
  const out: string[] = [];
  let i = r.plan.start;
  while (i < r.plan.end) {
    i = r.render(i, buf, filled);
    out.push(Buffer.from(buf.subarray(0, filled[0])).toString('latin1'));
  }
  return out.join('').split('\n').filter((l) => l !== '');
}

const BASE_OF: Record<string, number> = { tcp: 0, udp: 65536, sctp: 131072 };

async function apiLines(o: ListOptions, onePort: boolean): Promise<string[]> {
  const out: string[] = [];
  for await (const t of listTargets(o)) {
    if (onePort || t.port === undefined) out.push(t.addr);
    else {
      const internal = BASE_OF[t.proto!]! + t.port;
      out.push(t.addr.includes(':') ? `[${t.addr}]:${internal}` : `${t.addr}:${internal}`);
    }
  }
  return out;
}

test('listTargets() lists what -sL lists, in the same order', async () => {
  const cases: [ListOptions, string, boolean][] = [
    [{ targets: ['10.0.0.0/24', '192.168.1.5-192.168.1.9'], ports: '80,443,U:53', seed: 7n },
      '--range 10.0.0.0/24 --range 192.168.1.5-192.168.1.9 --ports 80,443,U:53 --seed 7', false],
    [{ targets: ['2001:db8::/120', '10.1.0.0/28'], ports: [22, 80], seed: 3, shard: { index: 2, count: 3 } },
      '--range 2001:db8::/120 --range 10.1.0.0/28 --ports 22,80 --seed 3 --shard 2/3', false],
    [{ targets: '10.2.0.0/22', exclude: '10.2.1.0/24', seed: 99n, resume: { index: 100, count: 500 } },
      '--range 10.2.0.0/22 --exclude 10.2.1.0/24 --seed 99 --resume-index 100 --resume-count 500', true],
  ];
  for (const [o, args, onePort] of cases) {
    const want = cliLines(args);
    assert.ok(want.length > 10, args);
    assert.deepEqual(await apiLines(o, onePort), want, args);
  }
});

test('listTargets() items: address, plain port, protocol, plan index; bad options throw with a code', async () => {
  const items = [];
  for await (const t of listTargets({ targets: '10.9.9.9', ports: 'U:161', seed: 1n })) items.push(t);
  assert.deepEqual(items, [{ addr: '10.9.9.9', port: 161, proto: 'udp', index: 0 }]);
  const none = [];
  for await (const t of listTargets({ targets: '10.9.9.8/31', seed: 1n })) none.push(t.port === undefined && t.proto === undefined);
  assert.deepEqual(none, [true, true]);
  assert.throws(() => listTargets({ targets: '10.0.0.300' }), (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_RANGE');
  assert.throws(() => listTargets({ targets: '10.0.0.1', rate: 5 } as unknown as ListOptions),
    (e: unknown) => e instanceof ScanError && e.code === 'ERR_USAGE' && /unknown option: rate/.test(e.message));
});
