/**
 * src/engine/banner-engine.ts: the SYN-ACK's options reach the user-mode stack. The MSS and
 * window-scale options are read from the options area (after the 20-byte fixed header), so a
 * peer's MSS 20 cuts our hello into 20-byte segments, and with --tcp-wscale both sides'
 * window fields are scaled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BannerEngine } from '../../src/engine/banner-engine.js';
import { bannerSetup } from '../../src/engine/banner-setup.js';
import { SegmentBuilder4 } from '../../src/engine/segment.js';
import { FrameRing } from '../../src/engine/ring.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../src/wire/ethernet.js';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { TcpFlags, TcpPacket, emitTcp, tcpBufferLen, type TcpOption, type TcpRepr } from '../../src/wire/tcp.js';
import { SCANNER_MAC, ROUTER_MAC, ip4, simConfig } from './scan-sim.js';

const THEM = ip4('10.0.0.5');
const US = ip4('10.250.0.1');
const OUR_ISS = 0x11223344;

/** A SYN-ACK from 10.0.0.5:80 to us with `options`. */
function synAck(options: TcpOption[], acked = 1): Uint8Array {
  const repr: TcpRepr = {
    srcPort: 80, dstPort: 40000, seq: 7000, ack: OUR_ISS + acked, flags: TcpFlags.SYN | TcpFlags.ACK, window: 64240, urgent: 0,
    options, payload: new Uint8Array(0),
  };
  const tcpLen = tcpBufferLen(repr);
  const out = new Uint8Array(14 + 20 + tcpLen);
  emitEthernet({ dst: SCANNER_MAC, src: ROUTER_MAC, etherType: EtherType.IPV4, vlanTci: undefined }, new EthernetFrame(out, 0, out.length));
  emitIpv4({ src: THEM, dst: US, protocol: IpProtocol.TCP, payloadLen: tcpLen, ttl: 57, tos: 0, ident: 1, dontFrag: true,
    moreFrags: false, fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(out, 14, 20 + tcpLen));
  emitTcp(repr, new TcpPacket(out, 34, tcpLen), { version: 4, src: THEM, dst: US });
  return out;
}

/** What our side sends after the SYN-ACK: [window field, payload length] per segment. */
function answer(args: string, options: TcpOption[]): [number, number][] {
  return segments(args, options).map(([w, n]) => [w, n]);
}

/** [window field, payload length, seq] of each segment our side sends after the SYN-ACK. */
function segments(args: string, options: TcpOption[], acked = 1): [number, number, number][] {
  const frames = FrameRing.create(1 << 16, 1514);
  const setup = bannerSetup(simConfig(`10.0.0.5 -p80 --banners ${args}`));
  const engine = new BannerEngine(setup, new SegmentBuilder4({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC }, 64), null, frames,
    () => undefined, () => 0);
  const f = synAck(options, acked);
  const d = new Decoded();
  assert.equal(decodeFrame(f, 0, f.length, d), 'ok');
  engine.synAck(f, d, 0);
  // The server stays silent: at the hello timeout the HTTP hello goes out.
  for (let t = 0; t <= setup.helloTimeoutMs + 50; t += 25) engine.poll(t);
  const out: [number, number, number][] = [];
  const buf = new Uint8Array(2048);
  for (let n = frames.pop(buf, 0); n > 0; n = frames.pop(buf, 0)) {
    const o = new Decoded();
    assert.equal(decodeFrame(buf, 0, n, o), 'ok');
    out.push([o.tcpWindow, o.payloadLen, o.tcpSeq]);
  }
  return out;
}

test('the peer\'s MSS option is read from the SYN-ACK: a 20-byte MSS cuts the HTTP hello into 20-byte segments', () => {
  const small = answer('', [{ kind: 'mss', mss: 20 }]);
  assert.ok(small.length >= 3, JSON.stringify(small));
  assert.deepEqual(small[0], [65535, 0], 'the ACK');
  const data = small.slice(1).map(([, n]) => n);
  assert.ok(data.every((n) => n > 0 && n <= 20), JSON.stringify(data));
  const big = answer('', [{ kind: 'mss', mss: 1460 }]);
  assert.equal(big.length, 2, `one ACK and the hello in one segment: ${JSON.stringify(big)}`);
  assert.equal(big[1]![1], data.reduce((a, b) => a + b, 0), 'the same hello either way');
});

test('--tcp-wscale: a SYN-ACK with a window scale turns scaling on, and our window field is 65535 >> shift', () => {
  const scaled = answer('--tcp-wscale 7', [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'window-scale', shift: 10 }]);
  assert.equal(scaled[0]![0], 65535 >> 7);
  // The peer did not answer with the option: no scaling.
  assert.equal(answer('--tcp-wscale 7', [{ kind: 'mss', mss: 1460 }])[0]![0], 65535);
  // We did not offer it: the peer's option (which it should not send) changes nothing.
  assert.equal(answer('', [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'window-scale', shift: 10 }])[0]![0], 65535);
});

test('--data-length: our sequence numbers start at the SYN-ACK\'s ack, whether the peer took the SYN\'s data or not', () => {
  // A Linux listener acks the SYN only (ISS + 1); a peer that accepts data in a SYN acks it too.
  for (const acked of [1, 21]) {
    const segs = segments('--data-length 20', [{ kind: 'mss', mss: 1460 }], acked);
    assert.equal(segs.length, 2, JSON.stringify(segs));
    assert.equal(segs[0]![2], (OUR_ISS + acked) >>> 0, 'the ACK');
    assert.equal(segs[1]![2], (OUR_ISS + acked) >>> 0, 'the hello\'s first byte');
  }
});
