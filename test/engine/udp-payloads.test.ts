import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UdpPayloadTable, BUILTIN_UDP_PAYLOADS, writePayloadCookie, cookieFieldValue, MAX_UDP_PAYLOAD } from '../../src/engine/udp-payloads.js';
import { CookieKey, cookie4 } from '../../src/engine/cookie.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('DNS version.bind query: header, name, TXT CHAOS; cookie in the id (§6.1 vector 0xd35a)', () => {
  const p = new UdpPayloadTable().get(53)!;
  assert.equal(hex(p.bytes), '000001200001000000000000' + '0776657273696f6e0462696e6400' + '00100003');
  const buf = new Uint8Array(p.bytes);
  const c = cookie4(new CookieKey(1n), 0x0a000001, 65536 + 53, 0xc0000232, 40000);
  writePayloadCookie(p, buf, 0, c);
  assert.equal(hex(buf.subarray(0, 2)), 'd35a');
});

test('SNMPv1 GET public: well-formed BER, request-id = low 31 bits of the cookie (§6.1 vector)', () => {
  const p = new UdpPayloadTable().get(161)!;
  assert.equal(hex(p.bytes),
    '3037' + '020100' + '04067075626c6963' + 'a02a' + '020400000000' + '020100' + '020100' +
    '301c' + '300c06082b060102010105000500' + '300c06082b060102010101000500');
  assert.equal(p.bytes.length, 57);
  const buf = new Uint8Array(p.bytes);
  const c = cookie4(new CookieKey(1n), 0x0a000001, 65536 + 161, 0xc0000232, 40000);
  writePayloadCookie(p, buf, 0, c);
  assert.equal(hex(buf.subarray(p.cookieOffset, p.cookieOffset + 4)), '3d7aaaa7');
  assert.equal(cookieFieldValue('int31', c), 0x3d7aaaa7);
  assert.equal(buf[p.cookieOffset - 2], 0x02); // INTEGER tag
  assert.equal(buf[p.cookieOffset - 1], 0x04); // 4 content bytes
});

test('NetBIOS node status: 50 bytes, name "*" first-level encoded', () => {
  const p = new UdpPayloadTable().get(137)!;
  assert.equal(p.bytes.length, 50);
  assert.equal(Buffer.from(p.bytes.subarray(13, 45)).toString('latin1'), 'CK' + 'AA'.repeat(15));
  assert.equal(hex(p.bytes.subarray(45)), '0000210001');
  assert.equal(p.cookie, 'id16');
});

test('table: other ports empty; overrides win; bad entries refused', () => {
  const t = new UdpPayloadTable();
  assert.equal(t.get(1234), undefined);
  t.set(53, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...t.get(53)!.bytes], [1, 2, 3]);
  assert.equal(t.get(53)!.cookie, 'none');
  assert.throws(() => t.set(70000, new Uint8Array(1)));
  assert.throws(() => t.set(9, new Uint8Array(MAX_UDP_PAYLOAD + 1)));
  assert.throws(() => t.set(9, new Uint8Array(3), 'int31', 0));
  assert.equal(new UdpPayloadTable(false).get(53), undefined);
  assert.deepEqual(t.entries().map((e) => e.port), [53, 137, 161]);
  assert.equal(BUILTIN_UDP_PAYLOADS.length, 3);
});
