import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SSH_LIMITS, sshClientHello, sshIdent, sshModule } from '../../src/banners/ssh.js';
import { BANNER_CAPS } from '../../src/banners/caps.js';
import { assertSplitInvariant, bannerVector, latin1, runGuarded, runModule, RUNS, text } from './helpers.js';

const COOKIE = Uint8Array.from({ length: 16 }, (_v, i) => 0xc0 + i);
const ssh = sshModule('0.1.0', COOKIE);

// The real server's lists, written out by hand from the captured vector (decoded with
// Python, not with the code under test), and its HASSH computed with Python's hashlib.md5
// over `kex;enc_s2c;mac_s2c;comp_s2c`.
const IDENT = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n';
const KEX = 'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,' +
  'ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,' +
  'diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com';
const HOSTKEY = 'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256';
const ENC = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
const MAC = 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,' +
  'hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1';
const COMP = 'none,zlib@openssh.com';
const HASSH = '425d29fe50d8e4f5e37efb6e24bcf660';
const BANNER = IDENT +
  `kex_algorithms=${KEX} server_host_key_algorithms=${HOSTKEY} ` +
  `encryption_algorithms_client_to_server=${ENC} encryption_algorithms_server_to_client=${ENC} ` +
  `mac_algorithms_client_to_server=${MAC} mac_algorithms_server_to_client=${MAC} ` +
  `compression_algorithms_client_to_server=${COMP} compression_algorithms_server_to_client=${COMP} ` +
  'languages_client_to_server= languages_server_to_client=';

test('ssh: real OpenSSH 9.2 ident + KEXINIT -> exact banner and HASSH', () => {
  const { sent, received } = bannerVector('openssh-server.txt');
  const r = runModule(ssh, [received]);
  assert.deepEqual(r.items, [{
    app: 'ssh',
    text: BANNER,
    fields: { hassh: HASSH, hasshAlgorithms: `${KEX};${ENC};${MAC};${COMP}` },
  }]);
  assert.equal(r.closes, 1);
  // what we sent: our ident (the line the real server was given when captured), then KEXINIT
  assert.equal(r.sent.startsWith(text(sent)), true);
  assert.equal(text(sent), sshIdent('0.1.0'));
});

test('ssh: the same whole, byte by byte, at random split points', () => {
  assertSplitInvariant(ssh, bannerVector('openssh-server.txt').received, 100);
});

test('ssh: our ident and KEXINIT are well-formed (RFC 4253 §4.2, §6, §7.1)', () => {
  assert.equal(sshIdent('0.1.0'), 'SSH-2.0-tidescan_0.1.0\r\n');
  assert.equal(sshIdent('1.0.0-rc 1'), 'SSH-2.0-tidescan_1.0.0_rc_1\r\n'); // no '-' or space in softwareversion
  const h = sshClientHello('0.1.0', COOKIE);
  const identLen = 'SSH-2.0-tidescan_0.1.0\r\n'.length;
  const p = Buffer.from(h.subarray(identLen));
  const plen = p.readUInt32BE(0);
  const pad = p[4]!;
  assert.equal(p.length, 4 + plen);
  assert.equal(p.length % 8, 0);
  assert.ok(pad >= 4 && pad < 4 + 8);
  assert.equal(p[5], 20); // SSH_MSG_KEXINIT
  assert.deepEqual([...p.subarray(6, 22)], [...COOKIE]);
  // ten name-lists, then first_kex_packet_follows = 0 and reserved uint32 = 0, then padding
  let i = 22;
  const lists: string[] = [];
  for (let k = 0; k < 10; k++) {
    const n = p.readUInt32BE(i);
    lists.push(p.toString('latin1', i + 4, i + 4 + n));
    i += 4 + n;
  }
  assert.equal(lists[0]!.split(',').includes('curve25519-sha256'), true);
  assert.equal(lists[6], 'none');
  assert.equal(lists[8], '');
  assert.deepEqual([...p.subarray(i, i + 5)], [0, 0, 0, 0, 0]);
  assert.equal(i + 5 + pad, p.length);
});

/** A server packet (RFC 4253 §6) around `payload`, padded to a multiple of 8. */
function packet(payload: Uint8Array, padLen?: number): Uint8Array {
  let pad = padLen ?? 8 - ((5 + payload.length) % 8);
  if (padLen === undefined && pad < 4) pad += 8;
  const b = Buffer.alloc(5 + payload.length + pad, 0x55);
  b.writeUInt32BE(1 + payload.length + pad, 0);
  b[4] = pad;
  b.set(payload, 5);
  return Uint8Array.from(b);
}

function kexinit(lists: readonly string[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from([20]), Buffer.alloc(16, 0xab)];
  for (const l of lists) {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(Buffer.byteLength(l, 'latin1'));
    parts.push(n, Buffer.from(l, 'latin1'));
  }
  parts.push(Buffer.from([0, 0, 0, 0, 0]));
  return Uint8Array.from(Buffer.concat(parts));
}

const HASSH_SMALL = '90c46968a47bf9513c1777e996be8955';

const cat = (...b: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(b));

test('ssh: IGNORE/DEBUG packets are skipped, other messages end it; preamble lines kept', () => {
  const lists = ['k1,k2', 'h', 'e1', 'e2', 'm1', 'm2', 'c1', 'c2', '', 'en'];
  const ignore = packet(Uint8Array.from([2, 0, 0, 0, 3, 0x61, 0x62, 0x63]));
  const bytes = cat(latin1('hello there\r\nSSH-2.0-X\r\n'), ignore, packet(kexinit(lists)));
  const r = assertSplitInvariant(ssh, bytes);
  assert.equal(r.items[0]!.text, 'hello there\r\nSSH-2.0-X\r\nkex_algorithms=k1,k2 server_host_key_algorithms=h ' +
    'encryption_algorithms_client_to_server=e1 encryption_algorithms_server_to_client=e2 mac_algorithms_client_to_server=m1 ' +
    'mac_algorithms_server_to_client=m2 compression_algorithms_client_to_server=c1 compression_algorithms_server_to_client=c2 ' +
    'languages_client_to_server= languages_server_to_client=en');
  // md5('k1,k2;e2;m2;c2') computed by hand with `printf %s 'k1,k2;e2;m2;c2' | md5sum`
  assert.deepEqual(r.items[0]!.fields, { hassh: HASSH_SMALL, hasshAlgorithms: 'k1,k2;e2;m2;c2' });
  // a DISCONNECT (1) first: ident only, closed
  const d = runModule(ssh, [cat(latin1('SSH-2.0-X\r\n'), packet(Uint8Array.from([1, 0, 0, 0, 2])))]);
  assert.deepEqual(d.items, [{ app: 'ssh', text: 'SSH-2.0-X\r\n' }]);
  assert.equal(d.closes, 1);
  // five IGNOREs: over the limit of skipped packets
  const many = runModule(ssh, [cat(latin1('SSH-2.0-X\r\n'), ignore, ignore, ignore, ignore, ignore, packet(kexinit(lists)))]);
  assert.deepEqual(many.items, [{ app: 'ssh', text: 'SSH-2.0-X\r\n' }]);
  assert.equal(SSH_LIMITS.skippedPackets, 4);
});


test('ssh: bad packets keep the ident: packet_length > 35000, short padding, truncated KEXINIT', () => {
  const id = latin1('SSH-2.0-OpenSSH_9.2\r\n');
  const expectIdentOnly = (bytes: Uint8Array, closes = 1): void => {
    const r = assertSplitInvariant(ssh, bytes, 20);
    assert.deepEqual(r.items, [{ app: 'ssh', text: 'SSH-2.0-OpenSSH_9.2\r\n' }]);
    assert.equal(r.closes, closes);
    assert.equal(r.sent.startsWith('SSH-2.0-tidescan_0.1.0\r\n'), true);
  };
  expectIdentOnly(cat(id, Uint8Array.from([0, 0, 0x88, 0xb9, 4]))); // 35001
  expectIdentOnly(cat(id, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 4])));
  expectIdentOnly(cat(id, packet(kexinit(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']), 3))); // padding < 4
  // a KEXINIT whose name-list length runs past the payload
  const bad = kexinit(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  bad[17 + 3] = 200;
  expectIdentOnly(cat(id, packet(bad)));
  // the connection ends mid-packet: ident only, and we did not close (the server did)
  expectIdentOnly(cat(id, packet(kexinit(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])).subarray(0, 30)), 0);
  // exactly 35000 is allowed (RFC 4253 §6.1)
  const big = kexinit(['x'.repeat(34900), 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  const pkt = packet(big);
  assert.ok(pkt.length - 4 <= 35000);
  const r = runModule(ssh, [cat(id, pkt)]);
  assert.equal(r.items[0]!.fields!['hasshAlgorithms'], `${'x'.repeat(34900)};d;f;h`);
});

test('ssh: version 1 servers and odd idents', () => {
  // SSH-1.5: ident only, nothing sent
  const v1 = runModule(ssh, [latin1('SSH-1.5-OldServer\r\nmore')]);
  assert.deepEqual(v1, { items: [{ app: 'ssh', text: 'SSH-1.5-OldServer\r\n' }], sent: '', closes: 1 });
  // SSH-1.99 speaks version 2 too
  const v199 = runModule(ssh, [latin1('SSH-1.99-Both\n')]);
  assert.equal(v199.sent.startsWith('SSH-2.0-tidescan_'), true);
  // an ident over 255 bytes is cut at 255 and we close
  const long = 'SSH-2.0-' + 'a'.repeat(400) + '\r\n';
  const l = assertSplitInvariant(ssh, latin1(long), 20);
  assert.deepEqual(l, { items: [{ app: 'ssh', text: long.slice(0, 255) }], sent: '', closes: 1 });
  // lines before the ident are bounded too
  const pre = 'x'.repeat(9000);
  const p = runModule(ssh, [latin1(pre)]);
  assert.equal(p.items[0]!.text.length, SSH_LIMITS.preamble);
  assert.equal(p.closes, 1);
});

test('ssh: generated KEXINITs are split-invariant', () => {
  const name = fc.stringMatching(/^[a-z0-9@.,-]{0,30}$/);
  fc.assert(
    fc.property(fc.array(name, { minLength: 10, maxLength: 10 }), fc.stringMatching(/^[A-Za-z0-9_. -]{1,40}$/), (lists, soft) => {
      assertSplitInvariant(ssh, cat(latin1(`SSH-2.0-${soft}\r\n`), packet(kexinit(lists))), 5);
    }),
    { numRuns: RUNS },
  );
});

test('ssh fuzz: random bytes after a real ident, and mutated real bytes: no throw, in bounds, bounded', () => {
  const { received } = bannerVector('openssh-server.txt');
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => cat(latin1('SSH-2.0-OpenSSH_9.2\r\n'), b)),
    fc.tuple(fc.nat(received.length), fc.array(fc.tuple(fc.nat(received.length - 1), fc.nat(255)), { maxLength: 8 }))
      .map(([cut, muts]) => {
        const b = received.slice(0, cut);
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        return b;
      }),
  );
  fc.assert(
    fc.property(input, fc.array(fc.nat(1300), { maxLength: 8 }), (bytes, points) => {
      const cuts = [...new Set(points.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
      const chunks: Uint8Array[] = [];
      let prev = 0;
      for (const c of cuts) { chunks.push(bytes.slice(prev, c)); prev = c; }
      chunks.push(bytes.slice(prev));
      const { items, conv } = runGuarded(ssh, chunks);
      assert.ok(items.length <= 1);
      for (const i of items) {
        assert.equal(i.app, 'ssh');
        assert.ok(i.bytes.length <= BANNER_CAPS.perApp);
      }
      assert.ok(conv.closes <= 1);
      assert.ok(conv.sent.length <= 1);
    }),
    { numRuns: RUNS * 3 },
  );
});
