import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mysqlModule } from '../../src/banners/mysql.js';
import { buildBanners, defaultBannerConfig } from '../../src/banners/registry.js';
import { assertSplitInvariant, bannerVector, latin1, runGuarded, RUNS, T4 } from './helpers.js';

const my = mysqlModule();

test('mysql: real MariaDB 10.11 handshake v10 (5.5.5- prefix is MariaDB\'s, kept as sent)', () => {
  const r = assertSplitInvariant(my, bannerVector('mariadb-handshake.txt').received);
  assert.deepEqual(r.items, [{
    app: 'unknown',
    text: 'mysql protocol=10 version=5.5.5-10.11.19-MariaDB-0+deb12u1 id=3 caps=0x81fff7fe plugin=mysql_native_password',
    fields: { service: 'mysql', version: '5.5.5-10.11.19-MariaDB-0+deb12u1' },
  }]);
  assert.equal(r.closes, 1); // one packet is all we read
  const b = buildBanners(defaultBannerConfig('0.1.0'));
  const v = bannerVector('mariadb-handshake.txt').received;
  assert.equal(b.detect(v, 0, v.length, 43306), b.module('mysql'));
});

test('mysql: an ERR packet (hand-built from the protocol\'s ERR_Packet: 0xff, code, #state, message)', () => {
  const msg = "Host '192.0.2.1' is not allowed to connect to this MariaDB server";
  const payload = Buffer.concat([Buffer.from([0xff, 0x6a, 0x04]), Buffer.from(msg, 'latin1')]); // 1130, no SQL state (pre-auth)
  const pkt = Uint8Array.from(Buffer.concat([Buffer.from([payload.length, 0, 0, 0]), payload]));
  const r = assertSplitInvariant(my, pkt);
  assert.deepEqual(r.items, [{ app: 'unknown', text: `mysql error=1130 ${msg}`, fields: { service: 'mysql' } }]);
  // and with a SQL state
  const p2 = Buffer.concat([Buffer.from([0xff, 0x15, 0x04]), Buffer.from('#28000Access denied', 'latin1')]);
  const r2 = assertSplitInvariant(my, Uint8Array.from(Buffer.concat([Buffer.from([p2.length, 0, 0, 0]), p2])));
  assert.equal(r2.items[0]!.text, 'mysql error=1045 Access denied');
  // not MySQL: raw
  assert.deepEqual(assertSplitInvariant(my, latin1('\x05\0\0\0hello')).items, [{ app: 'unknown', text: '\x05\0\0\0hello' }]);
});

test('mysql fuzz: no throw, in bounds', () => {
  const real = bannerVector('mariadb-handshake.txt').received;
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 120 }).map((b) => Uint8Array.from([b.length + 1, 0, 0, 0, 0x0a, ...b])),
    fc.tuple(fc.nat(real.length), fc.array(fc.tuple(fc.nat(real.length - 1), fc.nat(255)), { maxLength: 6 })).map(([cut, muts]) => {
      const b = real.slice(0, cut);
      for (const [i, v] of muts) if (i < b.length) b[i] = v;
      return b;
    }),
  );
  fc.assert(fc.property(input, fc.nat(200), (bytes, cut) => {
    const { items } = runGuarded(my, [bytes.slice(0, cut), bytes.slice(cut)], T4);
    for (const i of items) assert.equal(i.app, 'unknown');
  }), { numRuns: RUNS * 3 });
});
