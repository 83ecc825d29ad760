import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFrame, tcpFlagsString } from '../../src/wire/pretty.js';
import { LinkType } from '../../src/wire/decode.js';
import { fromHex } from '../../src/wire/bytes.js';
import { TcpFlags } from '../../src/wire/tcp.js';
import { allVectors, vec } from './helpers.js';

test('pretty: every vector prints exactly as tcpdump printed it', () => {
  const vs = allVectors();
  assert.ok(vs.length >= 50);
  for (const v of vs) assert.equal(formatFrame(v.bytes), v.tcpdump, `${v.file}#${v.index}`);
});

test('pretty: key fields of the probes and replies a scan sees', () => {
  assert.equal(
    formatFrame(vec('crafted.txt', 0).bytes),
    'IP 192.0.2.50.40000 > 10.0.0.1.80: Flags [S], seq 166649101, win 1025, options [mss 1460], length 0',
  );
  assert.match(formatFrame(vec('lo-tcp-open.txt', 1).bytes), /^IP 127\.0\.0\.1\.47080 > 127\.0\.0\.1\.47001: Flags \[S\.\], seq \d+, ack \d+, win 65483/);
  assert.equal(formatFrame(vec('veth-ethernet.txt', 0).bytes), 'ARP, Request who-has 10.250.9.2 tell 10.250.9.1, length 28');
  assert.equal(formatFrame(vec('veth-ethernet.txt', 1).bytes), 'ARP, Reply 10.250.9.2 is-at 02:50:00:00:09:02, length 28');
  assert.equal(formatFrame(vec('lo-icmp-echo.txt', 1).bytes), 'IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 29811, seq 1, length 56');
});

test('pretty: a frame inside a larger buffer, and other link types', () => {
  const f = vec('lo-tcp-closed.txt', 1);
  const ring = new Uint8Array(200).fill(0xee);
  ring.set(f.bytes, 50);
  assert.equal(formatFrame(ring, 50, f.bytes.length), f.tcpdump);
  assert.equal(formatFrame(f.bytes.subarray(14), 0, f.bytes.length - 14, LinkType.RAW), f.tcpdump);
});

test('pretty: broken frames are described, never thrown on', () => {
  const syn = vec('crafted.txt', 0).bytes;
  assert.equal(formatFrame(syn.subarray(0, 5)), '[|ether] 5 bytes');
  assert.equal(formatFrame(syn.subarray(0, 20)), 'IP [|ip] (truncated)');
  assert.equal(formatFrame(syn, 0, 100), '[|ether] 100 bytes'); // a length past the buffer
  const badIhl = syn.slice();
  badIhl[14] = 0x43;
  assert.equal(formatFrame(badIhl), 'IP [|ip] (malformed)');
  const badOpt = syn.slice();
  badOpt[55] = 0; // MSS option length 0
  assert.match(formatFrame(badOpt), /options \[bad opt\], length 0$/);
  assert.equal(formatFrame(fromHex('ffffffffffff 025000000001 0806 0006 0800 0604 0001')), 'ARP, unsupported hardware/protocol');
  assert.equal(formatFrame(new Uint8Array(0)), '[|ether] 0 bytes');
  assert.equal(formatFrame(syn, 0, syn.length, 77), `[unsupported] ${syn.length} bytes`);
});

test('pretty: TCP flag letters in tcpdump order', () => {
  assert.equal(tcpFlagsString(0), 'none');
  assert.equal(tcpFlagsString(TcpFlags.SYN | TcpFlags.ACK), 'S.');
  assert.equal(tcpFlagsString(TcpFlags.RST | TcpFlags.ACK), 'R.');
  assert.equal(tcpFlagsString(TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK), 'FP.');
  assert.equal(tcpFlagsString(0xff), 'FSRP.UEW');
});
