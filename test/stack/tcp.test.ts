import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpStack } from '../../src/stack/tcp.js';
import { ConnTable } from '../../src/stack/table.js';
import { enc, F, ISS_THEM, ISS_US, OPTS, Rec, rel, seg, setup, THEM, US } from './helpers.js';

const A = F.ACK;
const PA = F.PSH | F.ACK;
const FA = F.FIN | F.ACK;

function ok(s: TcpStack): void {
  assert.equal(s.checkInvariants(), null);
}

test('stack: a SYN-ACK is ACKed and the connection is ESTABLISHED; a repeated SYN-ACK is re-ACKed', () => {
  const { s, rec, c } = setup();
  assert.equal(c, 0);
  assert.deepEqual(rec.events, ['opened 0']);
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 0, data: '' }]);
  assert.equal(rec.out.length, 0);
  assert.equal(s.stateName(c), 'ESTABLISHED');
  assert.equal(s.counters.opened, 1);
  assert.equal(s.counters.active, 1);
  // Our ACK was lost: the server repeats its SYN-ACK.
  assert.equal(s.synAck4(50, THEM, 80, US, 40000, ISS_THEM, ISS_US + 1, 65535, 1460), c);
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 0, data: '' }]);
  assert.equal(s.counters.opened, 1);
  assert.equal(s.counters.duplicates, 1);
  // The same through segment4 (a SYN on a synchronized connection: challenge ACK).
  assert.equal(seg(s, 60, -1, 0, F.SYN | F.ACK), true);
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 0, data: '' }]);
  assert.equal(rec.events.filter((e) => e.startsWith('received')).length, 0);
  ok(s);
});

test('stack: in-order data is delivered once and ACKed', () => {
  const { s, rec, c } = setup();
  rec.take();
  seg(s, 10, 0, 0, PA, 'hello ');
  seg(s, 11, 6, 0, PA, 'world');
  assert.equal(rec.text(c), 'hello world');
  assert.deepEqual(rec.take().map(rel), [
    { flags: A, seq: 0, ack: 6, data: '' },
    { flags: A, seq: 0, ack: 11, data: '' },
  ]);
  ok(s);
});

test('stack: a duplicate is re-ACKed and not delivered again; a partial overlap delivers only the new part', () => {
  const { s, rec, c } = setup();
  rec.take();
  seg(s, 10, 0, 0, PA, 'abcdef');
  rec.take();
  seg(s, 20, 0, 0, PA, 'abcdef');
  assert.equal(rec.text(c), 'abcdef');
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 6, data: '' }]);
  assert.equal(s.counters.duplicates, 1);
  seg(s, 30, 3, 0, PA, 'defghi');
  assert.equal(rec.text(c), 'abcdefghi');
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 9, data: '' }]);
  assert.equal(s.counters.duplicates, 2);
  ok(s);
});

test('stack: out-of-order segments are held and delivered when the gap fills, FIN included', () => {
  const { s, rec, c } = setup();
  rec.take();
  seg(s, 10, 8, 0, PA, 'ijkl');
  seg(s, 11, 4, 0, PA, 'efgh');
  seg(s, 12, 12, 0, F.FIN | PA, 'mn');
  assert.equal(rec.text(c), '');
  assert.deepEqual(rec.take().map(rel), [0, 0, 0].map(() => ({ flags: A, seq: 0, ack: 0, data: '' })));
  assert.equal(s.counters.outOfOrder, 3);
  assert.equal(s.pool.inUse, 3);
  ok(s);
  seg(s, 13, 0, 0, PA, 'abcd');
  assert.equal(rec.text(c), 'abcdefghijklmn');
  assert.deepEqual(rec.events.slice(-5), ['received 0 4', 'received 0 4', 'received 0 4', 'received 0 2', 'peerClosed 0']);
  // One ACK for the whole call, covering the FIN.
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 15, data: '' }]);
  assert.equal(s.stateName(c), 'CLOSE-WAIT');
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: overlapping held segments deliver each byte once', () => {
  const { s, rec, c } = setup();
  seg(s, 10, 6, 0, PA, 'ghij');
  seg(s, 10, 4, 0, PA, 'efghi');
  seg(s, 10, 6, 0, PA, 'ghij'); // the same again: not held twice
  assert.equal(s.pool.inUse, 2);
  seg(s, 11, 0, 0, PA, 'abcdef');
  assert.equal(rec.text(c), 'abcdefghij');
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: out-of-order segments beyond maxHeld (or with the pool short) are dropped and come again', () => {
  const { s, rec, c } = setup({ maxHeld: 1 });
  seg(s, 10, 4, 0, PA, 'efgh');
  seg(s, 10, 8, 0, PA, 'ijkl'); // dropped: one held already
  assert.equal(s.pool.inUse, 1);
  seg(s, 11, 0, 0, PA, 'abcd');
  assert.equal(rec.text(c), 'abcdefgh');
  seg(s, 12, 8, 0, PA, 'ijkl'); // the peer's retransmission
  assert.equal(rec.text(c), 'abcdefghijkl');
  ok(s);
  // Pool short: reserveChunks keeps the last chunks for send queues and new connections.
  const b = setup({ maxChunks: 4, reserveChunks: 4 });
  seg(b.s, 10, 4, 0, PA, 'efgh');
  assert.equal(b.s.pool.inUse, 0);
  seg(b.s, 11, 0, 0, PA, 'abcd');
  assert.equal(b.rec.text(b.c), 'abcd');
  ok(b.s);
});

test('stack: with the out-of-order store full, a nearer segment replaces the furthest', () => {
  const { s, rec, c } = setup({ maxHeld: 2 });
  seg(s, 10, 12, 0, PA, 'mnop');
  seg(s, 10, 8, 0, PA, 'ijkl');
  seg(s, 10, 16, 0, PA, 'qrst'); // furthest: not held
  seg(s, 10, 4, 0, PA, 'efgh'); // nearer: replaces 'mnop'
  assert.equal(s.pool.inUse, 2);
  seg(s, 11, 0, 0, PA, 'abcd');
  assert.equal(rec.text(c), 'abcdefghijkl');
  ok(s);
});

test('stack: segments beyond the window are trimmed, and wholly outside it are ACKed and dropped', () => {
  const { s, rec, c } = setup({ window: 8 });
  rec.take();
  seg(s, 10, 0, 0, F.FIN | PA, 'abcdefghijkl'); // 12 octets into a window of 8: FIN dropped too
  assert.equal(rec.text(c), 'abcdefgh');
  assert.equal(s.stateName(c), 'ESTABLISHED');
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 8, data: '' }]);
  seg(s, 11, 20, 0, PA, 'zz');
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 8, data: '' }]);
  assert.equal(s.counters.outOfOrder, 1);
  assert.equal(rec.events.at(-1), 'received 0 8');
  ok(s);
});

test('stack: our data is segmented at min(mss, peer MSS) and within the peer window', () => {
  const { s, rec, c } = setup({}, 250, 60);
  rec.take();
  const msg = enc('x'.repeat(300));
  assert.equal(s.send(c, msg, 0, 300, 5), true);
  assert.deepEqual(rec.take().map((o) => [rel(o).seq, o.data.length, o.flags]), [
    [0, 60, PA], [60, 60, PA], [120, 60, PA], [180, 60, PA], [240, 10, PA],
  ]);
  seg(s, 6, 0, 120, A, '', 250);
  assert.deepEqual(rec.take().map((o) => [rel(o).seq, o.data.length]), [[250, 50]]);
  seg(s, 7, 0, 300, A, '', 250);
  assert.equal(rec.take().length, 0);
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: an ACK of data never sent is answered with an ACK and the segment dropped', () => {
  const { s, rec, c } = setup();
  rec.take();
  seg(s, 10, 0, 5, PA, 'abc');
  assert.equal(rec.text(c), '');
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 0, data: '' }]);
  ok(s);
});

test('stack: retransmission with a doubling RTO, then RST and closed("retries")', () => {
  const { s, rec, c } = setup({ rtoMs: 200, maxRetries: 3 });
  rec.take();
  s.send(c, enc('hello'), 0, 5, 100);
  assert.deepEqual(rec.take().map(rel), [{ flags: PA, seq: 0, ack: 0, data: 'hello' }]);
  const times: number[] = [];
  for (let t = 100; t <= 5000; t++) {
    s.poll(t);
    for (const o of rec.take()) {
      times.push(t);
      if (o.flags === F.RST) assert.equal(rel(o).seq, 5);
      else assert.deepEqual(rel(o), { flags: PA, seq: 0, ack: 0, data: 'hello' });
    }
  }
  // sent at 100: retransmits at +200, +400, +800, then the RST at +1600
  assert.deepEqual(times, [300, 700, 1500, 3100]);
  assert.equal(rec.reasons.get(c), 'retries');
  assert.equal(s.counters.retransmits, 3);
  assert.equal(s.counters.gaveUp, 1);
  assert.equal(s.counters.active, 0);
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: an ACK of new data resets the back-off; a partial ACK retransmits only the rest', () => {
  const { s, rec, c } = setup({ rtoMs: 100, maxRetries: 2 }, 65535, 4);
  rec.take();
  s.send(c, enc('abcdefgh'), 0, 8, 0);
  assert.equal(rec.take().length, 2);
  s.poll(100);
  assert.deepEqual(rec.take().map(rel), [{ flags: PA, seq: 0, ack: 0, data: 'abcd' }]);
  seg(s, 150, 0, 4, A);
  s.poll(249);
  assert.equal(rec.take().length, 0);
  s.poll(250); // restarted at 150 with the first RTO
  assert.deepEqual(rec.take().map(rel), [{ flags: PA, seq: 4, ack: 0, data: 'efgh' }]);
  seg(s, 260, 0, 8, A);
  s.poll(10_000);
  assert.equal(rec.take().length, 0);
  assert.equal(s.stateName(c), 'ESTABLISHED');
  ok(s);
});

test('stack: zero window: probes back off, never count as retries, and data flows when it opens', () => {
  const { s, rec, c } = setup({ rtoMs: 100, maxRetries: 1 }, 0);
  rec.take();
  s.send(c, enc('hello'), 0, 5, 0);
  assert.equal(rec.take().length, 0, 'nothing goes into a zero window');
  const probes: number[] = [];
  for (let t = 0; t <= 3300; t++) {
    s.poll(t);
    for (const o of rec.take()) {
      probes.push(t);
      assert.deepEqual(rel(o), { flags: PA, seq: 0, ack: 0, data: 'h' });
      seg(s, t, 0, 0, A, '', 0); // the peer answers: still closed
    }
  }
  // persist 100, then 200, 400, 800, 1600 (backoff doubling; never a spin)
  assert.deepEqual(probes, [100, 300, 700, 1500, 3100]);
  assert.equal(s.stateName(c), 'ESTABLISHED');
  assert.equal(s.counters.retransmits, 0);
  seg(s, 3200, 0, 0, A, '', 100); // the window opens
  assert.deepEqual(rec.take().map(rel), [{ flags: PA, seq: 1, ack: 0, data: 'ello' }]);
  seg(s, 3210, 0, 5, A, '', 100);
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: zero window: a probe byte the peer accepts moves on to the next byte', () => {
  const { s, rec, c } = setup({ rtoMs: 100 }, 0);
  s.send(c, enc('ab'), 0, 2, 0);
  rec.take();
  s.poll(100);
  assert.deepEqual(rec.take().map(rel), [{ flags: PA, seq: 0, ack: 0, data: 'a' }]);
  seg(s, 110, 0, 1, A, '', 0);
  s.poll(400);
  assert.deepEqual(rec.take().map(rel), [{ flags: PA, seq: 1, ack: 0, data: 'b' }]);
  ok(s);
});

test('stack: our FIN first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, closed("fin") after timeWaitMs', () => {
  const { s, rec, c } = setup({ timeWaitMs: 500 });
  rec.take();
  s.send(c, enc('GET /'), 0, 5, 10);
  s.close(c, 10);
  assert.equal(s.send(c, enc('x'), 0, 1, 10), false);
  assert.equal(s.stateName(c), 'FIN-WAIT-1');
  assert.deepEqual(rec.take().map(rel), [
    { flags: PA, seq: 0, ack: 0, data: 'GET /' },
    { flags: FA, seq: 5, ack: 0, data: '' },
  ]);
  seg(s, 20, 0, 6, A);
  assert.equal(s.stateName(c), 'FIN-WAIT-2');
  seg(s, 30, 0, 6, PA, 'reply');
  assert.equal(rec.text(c), 'reply');
  seg(s, 40, 5, 6, FA);
  assert.equal(s.stateName(c), 'TIME-WAIT');
  assert.deepEqual(rec.take().map(rel), [
    { flags: A, seq: 6, ack: 5, data: '' },
    { flags: A, seq: 6, ack: 6, data: '' },
  ]);
  // A retransmitted FIN in TIME-WAIT is ACKed again (and restarts the timer).
  seg(s, 100, 5, 6, FA);
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 6, ack: 6, data: '' }]);
  s.poll(599);
  assert.equal(s.counters.active, 1);
  s.poll(600);
  assert.equal(rec.reasons.get(c), 'fin');
  assert.deepEqual(rec.events.slice(-2), ['peerClosed 0', 'closed 0 fin']);
  assert.equal(s.counters.closedFin, 1);
  ok(s);
});

test('stack: their FIN first: CLOSE-WAIT, then our close: LAST-ACK, closed("fin") on the ACK of our FIN', () => {
  const { s, rec, c } = setup();
  rec.onPeerClosed = (cc, now) => s.close(cc, now);
  rec.take();
  seg(s, 10, 0, 0, F.FIN | PA, 'bye');
  assert.equal(rec.text(c), 'bye');
  assert.equal(s.stateName(c), 'LAST-ACK');
  // Our FIN (sent from the callback) also ACKs theirs: no separate ACK.
  assert.deepEqual(rec.take().map(rel), [{ flags: FA, seq: 0, ack: 4, data: '' }]);
  seg(s, 20, 4, 0, A); // does not ACK our FIN
  assert.equal(s.counters.active, 1);
  seg(s, 30, 4, 1, A);
  assert.equal(rec.reasons.get(c), 'fin');
  ok(s);
});

test('stack: CLOSE-WAIT keeps sending queued data before the FIN, and ignores further text', () => {
  const { s, rec, c } = setup({}, 65535, 3);
  rec.take();
  seg(s, 10, 0, 0, FA);
  assert.equal(s.stateName(c), 'CLOSE-WAIT');
  assert.equal(s.send(c, enc('abcde'), 0, 5, 11), true);
  s.close(c, 11);
  assert.deepEqual(rec.take().map(rel), [
    { flags: A, seq: 0, ack: 1, data: '' },
    { flags: PA, seq: 0, ack: 1, data: 'abc' },
    { flags: PA, seq: 3, ack: 1, data: 'de' },
    { flags: FA, seq: 5, ack: 1, data: '' },
  ]);
  seg(s, 12, 1, 6, A);
  assert.equal(rec.reasons.get(c), 'fin');
  ok(s);
});

test('stack: simultaneous close goes through CLOSING to TIME-WAIT', () => {
  const { s, rec, c } = setup({ timeWaitMs: 0 });
  rec.take();
  s.close(c, 10);
  assert.deepEqual(rec.take().map(rel), [{ flags: FA, seq: 0, ack: 0, data: '' }]);
  seg(s, 11, 0, 0, FA); // their FIN crosses ours: it does not ACK ours
  assert.equal(s.stateName(c), 'CLOSING');
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 1, ack: 1, data: '' }]);
  seg(s, 12, 1, 1, A);
  // TIME-WAIT of 0 ms: closed at once.
  assert.equal(rec.reasons.get(c), 'fin');
  ok(s);
});

test('stack: a FIN that also ACKs our FIN in FIN-WAIT-1 goes straight to TIME-WAIT', () => {
  const { s, rec, c } = setup();
  s.close(c, 10);
  seg(s, 11, 0, 1, FA);
  assert.equal(s.stateName(c), 'TIME-WAIT');
  rec.take();
  s.poll(10_000);
  assert.equal(rec.reasons.get(c), 'fin');
  ok(s);
});

test('stack: our lost FIN is retransmitted', () => {
  const { s, rec, c } = setup({ rtoMs: 100 });
  rec.take();
  s.close(c, 0);
  rec.take();
  s.poll(100);
  assert.deepEqual(rec.take().map(rel), [{ flags: FA, seq: 0, ack: 0, data: '' }]);
  seg(s, 150, 0, 1, A);
  assert.equal(s.stateName(c), 'FIN-WAIT-2');
  ok(s);
});

test('stack: RST: exact sequence closes ("rst"), in window gets a challenge ACK, outside is dropped silently', () => {
  const { s, rec, c } = setup();
  seg(s, 5, 0, 0, PA, 'abc');
  rec.take();
  seg(s, 10, 1000, 0, F.RST);
  assert.deepEqual(rec.take().map(rel), [{ flags: A, seq: 0, ack: 3, data: '' }]);
  assert.equal(s.counters.active, 1);
  seg(s, 11, 100_000, 0, F.RST);
  seg(s, 11, -10, 0, F.RST);
  assert.equal(rec.take().length, 0);
  assert.equal(s.counters.active, 1);
  seg(s, 12, 3, 0, F.RST);
  assert.equal(rec.take().length, 0);
  assert.equal(rec.reasons.get(c), 'rst');
  assert.equal(s.counters.closedRst, 1);
  // The tuple is gone: later segments are strays.
  assert.equal(seg(s, 13, 3, 0, A), false);
  assert.equal(s.counters.strays, 1);
  ok(s);
});

test('stack: a segment without ACK is dropped', () => {
  const { s, rec, c } = setup();
  rec.take();
  seg(s, 10, 0, 0, F.PSH, 'abc');
  assert.equal(rec.text(c), '');
  assert.equal(rec.take().length, 0);
  ok(s);
});

test('stack: the connection timeout resets ("timeout") whatever the state', () => {
  const { s, rec, c } = setup({ connectionTimeoutMs: 3000 });
  rec.take();
  seg(s, 10, 0, 0, FA); // CLOSE-WAIT, the application never closes
  rec.take();
  s.poll(2999);
  assert.equal(s.counters.active, 1);
  s.poll(3000);
  assert.deepEqual(rec.take().map(rel), [{ flags: F.RST, seq: 0, ack: -ISS_THEM - 1, data: '' }]);
  assert.equal(rec.reasons.get(c), 'timeout');
  assert.equal(s.counters.timeouts, 1);
  ok(s);
});

test('stack: the application timer fires once at its deadline, can be re-set, and abort() resets ("local")', () => {
  const { s, rec, c } = setup();
  s.setAppTimer(c, 2000);
  s.poll(1999);
  assert.equal(rec.events.filter((e) => e.startsWith('appTimer')).length, 0);
  rec.onAppTimer = (cc, now) => {
    if (now < 3000) s.setAppTimer(cc, now + 1500);
    else s.abort(cc, now);
  };
  s.poll(2000);
  s.poll(3000);
  s.poll(3500);
  assert.deepEqual(rec.events.filter((e) => e.startsWith('appTimer')), ['appTimer 0 2000', 'appTimer 0 3500']);
  assert.equal(rec.reasons.get(c), 'local');
  assert.equal(rec.take().at(-1)?.flags, F.RST);
  assert.equal(s.counters.aborted, 1);
  ok(s);
});

test('stack: timers further away than one wheel turn still fire on time', () => {
  const { s, rec, c } = setup({ wheelSlots: 16, tickMs: 1, connectionTimeoutMs: 1000 });
  s.setAppTimer(c, 100);
  for (let t = 0; t < 1000; t++) s.poll(t);
  assert.deepEqual(rec.events.filter((e) => e.startsWith('appTimer')), ['appTimer 0 100']);
  assert.equal(s.counters.active, 1);
  s.poll(1000);
  assert.equal(rec.reasons.get(c), 'timeout');
  // A long pause (many turns) between polls.
  const b = setup({ wheelSlots: 16, tickMs: 8, connectionTimeoutMs: 5000 });
  b.s.setAppTimer(b.c, 4000);
  b.s.poll(4800);
  assert.deepEqual(b.rec.events.filter((e) => e.startsWith('appTimer')), ['appTimer 0 4800']);
  b.s.poll(100_000);
  assert.equal(b.rec.reasons.get(b.c), 'timeout');
  ok(b.s);
});

test('stack: a full table or a full pool refuses new connections (counted, -1), never throws', () => {
  const rec = new Rec();
  const s = new TcpStack({ ...OPTS, capacity: 3, maxChunks: 2, chunkSize: 4 }, rec);
  for (let i = 0; i < 3; i++) assert.equal(s.synAck4(0, THEM, 80, US, 40000 + i, 1, 2, 1000, 0), i);
  assert.equal(s.synAck4(0, THEM, 80, US, 40010, 1, 2, 1000, 0), -1);
  assert.equal(s.counters.refused, 1);
  // Free one slot, then fill the pool with one connection's send queue.
  s.abort(1, 1);
  assert.equal(s.send(0, enc('12345678'), 0, 8, 1), true);
  assert.equal(s.pool.available, 0);
  assert.equal(s.send(2, enc('x'), 0, 1, 1), false, 'no room in the pool');
  assert.equal(s.synAck4(2, THEM, 80, US, 40011, 1, 2, 1000, 0), -1);
  assert.equal(s.counters.refused, 2);
  // The peer ACKs: chunks return and connections are accepted again.
  s.segment4(3, THEM, 80, US, 40000, 2, 10, F.ACK, 1000, new Uint8Array(0), 0, 0);
  assert.equal(s.pool.inUse, 0);
  assert.equal(s.synAck4(4, THEM, 80, US, 40011, 1, 2, 1000, 0), 1);
  ok(s);
});

test('stack: a slot is reused after closed returns; the old tuple is then a stray', () => {
  const rec = new Rec();
  const s = new TcpStack({ ...OPTS, capacity: 2 }, rec);
  const a = s.synAck4(0, THEM, 80, US, 40000, 1, 2, 1000, 0);
  const b = s.synAck4(0, THEM, 80, US, 40001, 1, 2, 1000, 0);
  let during = -2;
  rec.onClosed = (c) => {
    during = s.theirPort(c); // the addresses are still readable during the callback
    assert.equal(s.send(c, enc('x'), 0, 1, 0), false);
  };
  s.abort(a, 1);
  assert.equal(during, 80);
  const x = s.synAck4(2, THEM, 443, US, 40002, 1, 2, 1000, 0);
  assert.equal(x, a);
  assert.equal(s.theirPort(x), 443);
  assert.equal(s.segment4(3, THEM, 80, US, 40000, 2, 2, F.ACK, 1000, new Uint8Array(0), 0, 0), false);
  assert.equal(s.segment4(3, THEM, 443, US, 40002, 2, 2, F.ACK | F.PSH, 1000, enc('hi'), 0, 2), true);
  assert.equal(rec.text(x), 'hi');
  assert.notEqual(b, x);
  ok(s);
});

test('stack: colliding tuples in one hash bucket are told apart', () => {
  const rec = new Rec();
  const s = new TcpStack({ ...OPTS, capacity: 8 }, rec);
  const t = new ConnTable(8);
  const ports: number[] = [];
  const bucket = t.bucketOf4(THEM, 80, US, 30000);
  for (let p = 30000; ports.length < 6; p++) if (t.bucketOf4(THEM, 80, US, p) === bucket) ports.push(p);
  const ids = ports.map((p) => s.synAck4(0, THEM, 80, US, p, 1, 2, 1000, 0));
  assert.deepEqual(ids, [0, 1, 2, 3, 4, 5]);
  s.abort(2, 1);
  s.abort(4, 1);
  for (const [i, p] of ports.entries()) {
    const data = enc(`c${i}`);
    const hit = s.segment4(2, THEM, 80, US, p, 2, 2, F.ACK | F.PSH, 1000, data, 0, 2);
    assert.equal(hit, i !== 2 && i !== 4);
    if (hit) assert.equal(rec.text(i), `c${i}`);
  }
  ok(s);
});

test('stack: IPv6 connections: lookups, accessors, and no confusion with IPv4', () => {
  const rec = new Rec();
  const s = new TcpStack(OPTS, rec);
  const them = Uint32Array.of(0x20010db8, 0, 0, 1);
  const us = Uint32Array.of(0x20010db8, 0, 0, 2);
  const c4 = s.synAck4(0, THEM, 80, US, 40000, 1, 2, 1000, 0);
  const c6 = s.synAck6(0, them, 80, us, 40000, 100, 200, 1000, 0);
  const c6b = s.synAck6(0, Uint32Array.of(0x20010db8, 0, 1, 1), 80, us, 40000, 100, 200, 1000, 0);
  assert.deepEqual([c4, c6, c6b], [0, 1, 2]);
  assert.equal(s.version(c4), 4);
  assert.equal(s.version(c6), 6);
  const out = new Uint32Array(4);
  s.theirIp6(c6, out);
  assert.deepEqual([...out], [...them]);
  s.ourIp6(c6, out);
  assert.deepEqual([...out], [...us]);
  assert.equal(s.ourPort(c6), 40000);
  assert.equal(s.segment6(1, them, 80, us, 40000, 101, 200, F.ACK | F.PSH, 1000, enc('six'), 0, 3), true);
  assert.equal(s.segment6(1, them, 81, us, 40000, 101, 200, F.ACK, 1000, enc(''), 0, 0), false);
  assert.equal(rec.text(c6), 'six');
  assert.equal(rec.text(c6b), '');
  assert.equal(s.synAck6(2, them, 80, us, 40000, 100, 200, 1000, 0), c6);
  // The default MSS without the option: 1220 for IPv6 (RFC 9293 MUST-15), capped by ours.
  s.send(c6, new Uint8Array(300), 0, 300, 3);
  assert.equal(Math.max(...rec.take().filter((o) => o.c === c6).map((o) => o.data.length)), 100);
  ok(s);
});

test('stack: callbacks may abort the connection in the middle of a segment', () => {
  const { s, rec, c } = setup();
  seg(s, 10, 4, 0, PA, 'efgh');
  rec.onReceived = (cc, now) => s.abort(cc, now);
  seg(s, 11, 0, 0, PA, 'abcd');
  assert.equal(rec.text(c), 'abcd');
  assert.equal(rec.reasons.get(c), 'local');
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: sequence numbers wrap around 2^32', () => {
  const rec = new Rec();
  const s = new TcpStack(OPTS, rec);
  const c = s.synAck4(0, THEM, 80, US, 40000, 0xfffffffd, 0xfffffffe, 1000, 4);
  s.segment4(1, THEM, 80, US, 40000, 0xfffffffe, 0xfffffffe, F.ACK | F.PSH, 1000, enc('wrap'), 0, 4);
  assert.equal(rec.text(c), 'wrap');
  rec.take();
  s.send(c, enc('abcdef'), 0, 6, 2);
  assert.deepEqual(rec.take().map((o) => [o.seq, o.ack]), [[0xfffffffe, 2], [2, 2]]);
  s.segment4(3, THEM, 80, US, 40000, 2, 4, F.ACK, 1000, enc(''), 0, 0);
  assert.equal(s.pool.inUse, 0);
  ok(s);
});

test('stack: window scaling (RFC 7323) is on only when both SYNs carry it; then both window fields are scaled', () => {
  const data = new Uint8Array(100).fill(0x61);
  // Returns our ACK's window field and how many bytes go out before the peer's next ACK, after
  // the peer's ACK advertised a window field of 5.
  const run = (wscale: number | undefined, theirWscale: number): { ackWindow: number; sent: number } => {
    const rec = new Rec();
    const s = new TcpStack({ ...OPTS, window: 8192, mss: 100, wscale }, rec);
    const c = s.synAck4(0, THEM, 80, US, 40000, ISS_THEM, ISS_US + 1, 10, 1460, theirWscale);
    const ackWindow = rec.take()[0]!.window;
    seg(s, 1, 0, 0, A, '', 5);
    rec.take();
    assert.equal(s.send(c, data, 0, data.length, 2), true);
    const sent = rec.take().reduce((n, o) => n + o.data.length, 0);
    ok(s);
    return { ackWindow, sent };
  };
  // Both offered: their field 5 is 5 << 3 = 40 bytes; ours is 8192 >> 7 = 64.
  assert.deepEqual(run(7, 3), { ackWindow: 64, sent: 40 });
  // Only one side: no scaling either way (RFC 7323 §2.2).
  assert.deepEqual(run(7, -1), { ackWindow: 8192, sent: 5 });
  assert.deepEqual(run(undefined, 3), { ackWindow: 8192, sent: 5 });
  // A shift above 14 is used as 14 (§2.3); our field is never 0 (8192 >> 14 is 0: 1 is sent).
  assert.deepEqual(run(14, 20), { ackWindow: 1, sent: 100 });
  // The SYN-ACK's own window is never scaled: before any ACK, 10 bytes may go out.
  const rec = new Rec();
  const s = new TcpStack({ ...OPTS, window: 8192, mss: 100, wscale: 7 }, rec);
  const c = s.synAck4(0, THEM, 80, US, 40000, ISS_THEM, ISS_US + 1, 10, 1460, 3);
  rec.take();
  s.send(c, data, 0, data.length, 1);
  assert.equal(rec.take().reduce((n, o) => n + o.data.length, 0), 10);
  assert.throws(() => new TcpStack({ ...OPTS, wscale: 15 }, new Rec()), /wscale=15/);
});
