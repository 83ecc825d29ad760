import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parsePorts, PortList, formatPortsForEcho, portProto, plainPort, topPorts, topPortsByFrequency,
  PORT_UDP_BASE, PORT_SCTP_BASE, PORT_ICMP_ECHO, PORT_ICMP_TIMESTAMP, PORT_ARP, PORT_OPROTO_BASE,
} from '../../src/target/ports.js';
import { ScanError } from '../../src/error.js';

const echo = (spec: string, proto: 'tcp' | 'udp' | 'sctp' = 'tcp'): string =>
  formatPortsForEcho(new PortList(parsePorts(spec, proto)));

// Every masscan value below was printed by `masscan -p SPEC 10.0.0.1 --echo` (1.3.2); `ERR` in
// the third column is where tidescan refuses what masscan silently cuts or misreads.
const MASSCAN_132: [string, string, string][] = [
  ['0x50,010', '8,80', '8,80'],
  ['U:53,161,T:80', '80,U:53,U:161', '80,U:53,U:161'],
  ['80,abc,90', '80', 'ERR'],
  ['-5', '1-5', '1-5'],
  ['65530-', '65530-65535', '65530-65535'],
  ['O:6-', 'I:262-511', 'I:262-511'],
  ['u:53 , 54', 'U:53-54', 'U:53-54'],
  ['80#90', '80', 'ERR'],
  ['80 #90', '80', '80'],
  ['I:0,I:8', 'I:0,I:8', 'I:0,I:8'],
  ['S:1-3', 'S:1-3', 'S:1-3'],
  ['80,80,81-82,79', '79-82', '79-82'],
  ['', '', ''],
  ['O:255', 'I:511', 'I:511'],
  ['I:65535', 'I:65535', 'I:65535'],
  ['U:-5', 'U:1-5', 'U:1-5'],
  ['80 90', '80', 'ERR'],
  ['80, 90', '80,90', '80,90'],
  ['-', '1-65535', '1-65535'],
  [',80', '', 'ERR'],
  ['80,,90', '80', 'ERR'],
  ['0', '0', '0'],
  ['T:', '', 'ERR'],
  ['U:,80', '', 'ERR'],
  ['80-90-100', '80-90', 'ERR'],
  ['80 - 90', '80', 'ERR'],
  ['0x', '0', 'ERR'],
  ['08', '0', 'ERR'],
  ['80x', '80', 'ERR'],
  ['4294967376', '80', 'ERR'],
  ['80:90', '80', 'ERR'],
  ['tcp:80', '', 'ERR'],
  [' 80', '80', '80'],
  ['80;90', '80', 'ERR'],
  ['+80', '', 'ERR'],
  ['--5', '1-65535', 'ERR'],
  ['-0x10', '1-16', '1-16'],
  ['80-0x60', '80-96', '80-96'],
  ['U:5-', 'U:5-65535', 'U:5-65535'],
  ['S:65000-', 'S:65000-65535', 'S:65000-65535'],
  ['I:65530-', 'I:65530-65535', 'I:65530-65535'],
  ['0-0', '0', '0'],
  ['- 5', '1-65535', 'ERR'],
  ['5 -6', '5', 'ERR'],
  ['5- 6', '5-65535', 'ERR'],
  ['t:80', '80', '80'],
  ['u:1,t:2', '2,U:1', '2,U:1'],
  ['80,', '80', 'ERR'],
  ['80 ,', '80', 'ERR'],
  ['80 #', '80', '80'],
  ['#80', '', ''],
  ['80-#', '80-65535', 'ERR'],
  ['I:-3', 'I:1-3', 'I:1-3'],
  ['O:-3', 'I:257-259', 'I:257-259'],
  ['O:,5', '', 'ERR'],
  ['80-90,T', '80-90', 'ERR'],
  ['80,U:', '80', 'ERR'],
  ['U:U:5', '', 'ERR'],
  ['80,-', '1-65535', '1-65535'],
  [' ', '', ''],
  ['80,Z', '80', 'ERR'],
  ['80 Z', '80', 'ERR'],
  ['80,:5', '80', 'ERR'],
  ['80,.5', '80', 'ERR'],
  ['80,ü', '80', 'ERR'],
  ['80\t,90', '80,90', '80,90'],
  ['U: 53', '', 'ERR'],
  [' U:53', 'U:53', 'U:53'],
  ['U :53', '', 'ERR'],
  ['80,\n90', '80,90', '80,90'],
  ['0X50', '80', '80'],
  ['0x1g', '1', 'ERR'],
  ['00000000080', '0', 'ERR'],
  ['0b1', '0', 'ERR'],
  ['65535,U:0', '65535,U:0', '65535,U:0'],
  ['T:65530-65535,U:0-5', '65530-65535,U:0-5', '65530-65535,U:0-5'],
  ['U:65535,S:0', 'U:65535,S:0', 'U:65535,S:0'],
  ['S:65535,I:0', 'S:65535,I:0', 'S:65535,I:0'],
  ['I:300,O:5', 'I:261,I:300', 'I:261,I:300'],
  ['O:0,I:255', 'I:255-256', 'I:255-256'],
];

test('parsePorts + echo: masscan 1.3.2 where the text is a list, an error where masscan cuts it', () => {
  for (const [spec, , want] of MASSCAN_132) {
    if (want === 'ERR') {
      assert.throws(() => parsePorts(spec, 'tcp'), (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_PORT',
        JSON.stringify(spec));
    } else {
      assert.equal(echo(spec), want, JSON.stringify(spec));
    }
  }
});

// Fatal in masscan 1.3.2 (`[-] FAIL: bad target port: ...`).
const FATAL = ['80,X:5', '65536', '90-80', '80,z:', 'I:65536', '80-65536', '-65536', '18446744073709551696',
  '18446744073709551615', '4294967295', '65536-65537', '5,4,3-1', 'O:300', 'O:256-'];

test('parsePorts: fatal cases throw ERR_BAD_PORT naming the spec', () => {
  for (const spec of FATAL) {
    assert.throws(
      () => parsePorts(spec, 'tcp'),
      (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_PORT' && e.message.includes(spec),
      spec,
    );
  }
  assert.throws(() => parsePorts('80,X:5'), /unknown protocol prefix X:/);
});

test('parsePorts: the error names the bad item, quoted and cut to ~80 characters', () => {
  const msg = (spec: string): string => {
    try {
      parsePorts(spec);
    } catch (e) {
      assert.ok(e instanceof ScanError && e.code === 'ERR_BAD_PORT', String(e));
      return e.message;
    }
    assert.fail(`${JSON.stringify(spec)} parsed`);
  };
  assert.match(msg('80,x'), /^bad target port "x" in "80,x": not a port/);
  assert.match(msg('80 90'), /^bad target port "90" in "80 90": expected a comma before it/);
  assert.match(msg('U:53,T:'), /"T:" in "U:53,T:": no port after T:/);
  assert.match(msg('80,'), /"" in "80,": empty item after a comma/);
  assert.match(msg('80,,90'), /"" in "80,,90": empty item/);
  assert.deepEqual(parsePorts('  # nothing'), [], 'blank is the empty list (a scan then says which option gave no ports)');
  assert.match(msg('4294967376'), /^bad target port "4294967376": above 65535/);
  assert.match(msg('O:256'), /"O:256": above 255/);
  assert.match(msg('90-80'), /"90-80": range end is below its start/);
  assert.match(msg('80,ab\ncd'), /"ab\\ncd"/);
  const long = `80,${'9'.repeat(5000)}x`;
  const m = msg(long);
  assert.ok(m.length < 300, `${m.length} characters`);
  assert.match(m, /"9{80}\.\.\." in "80,9{37}\.\.\."/);
  const manyItems = `${Array.from({ length: 500 }, (_, k) => String(k)).join(',')},bad`;
  const m2 = msg(manyItems);
  assert.ok(m2.length < 300, `${m2.length} characters`);
  assert.match(m2, /^bad target port "bad" in "0,1,2,/);
});

test('parsePorts: default protocol and stickiness', () => {
  assert.deepEqual(parsePorts('53', 'udp'), [{ begin: PORT_UDP_BASE + 53, end: PORT_UDP_BASE + 53 }]);
  assert.deepEqual(parsePorts('1-2', 'sctp'), [{ begin: PORT_SCTP_BASE + 1, end: PORT_SCTP_BASE + 2 }]);
  assert.equal(echo('53,T:80,81', 'udp'), '80-81,U:53');
  assert.equal(echo('I:0'), 'I:0');
  assert.equal(echo('O:6'), 'I:262');
});

test('internal encoding constants and helpers', () => {
  assert.equal(PORT_ICMP_ECHO, 196608);
  assert.equal(PORT_ICMP_TIMESTAMP, 196609);
  assert.equal(PORT_ARP, 196610);
  assert.equal(PORT_OPROTO_BASE, 196864);
  const cases: [number, string, number][] = [
    [80, 'tcp', 80], [65535, 'tcp', 65535], [65536 + 53, 'udp', 53], [131072 + 7, 'sctp', 7],
    [196608, 'icmp', 0], [196609, 'icmp', 1], [196610, 'arp', 0], [196864 + 6, 'oproto', 6],
    [196864 + 255, 'oproto', 255], [196608 + 300, 'oproto', 44], [196608 + 255, 'icmp', 255],
    [196608 + 65535, 'icmp', 65535],
  ];
  for (const [v, proto, plain] of cases) {
    assert.equal(portProto(v), proto, String(v));
    assert.equal(plainPort(v), plain, String(v));
  }
  assert.equal(formatPortsForEcho(new PortList([{ begin: PORT_ARP, end: PORT_ARP }])), 'I:2');
});

test('PortList: merge, exclude, count, pick, never across protocols', () => {
  const l = new PortList(parsePorts('80,8000-8100,U:53,T:79'));
  l.add(PORT_ICMP_ECHO, PORT_ICMP_ECHO);
  assert.equal(formatPortsForEcho(l), '79-80,8000-8100,U:53,I:0');
  assert.equal(l.count(), 2 + 101 + 1 + 1);
  assert.equal(l.pick(0), 79);
  assert.equal(l.pick(2), 8000);
  assert.equal(l.pick(103), PORT_UDP_BASE + 53);
  assert.equal(l.pick(104), PORT_ICMP_ECHO);
  const x = l.exclude(new PortList(parsePorts('80,8050-9000')));
  assert.equal(formatPortsForEcho(x), '79,8000-8049,U:53,I:0');
  assert.equal(formatPortsForEcho(l), '79-80,8000-8100,U:53,I:0', 'exclude leaves its input alone');
  // one range spanning two protocols is split at the boundary
  const s = new PortList([{ begin: 65530, end: 65540 }]);
  assert.deepEqual(s.ranges(), [{ begin: 65530, end: 65535 }, { begin: 65536, end: 65540 }]);
  assert.equal(formatPortsForEcho(s), '65530-65535,U:0-4');
  assert.equal(formatPortsForEcho([{ begin: 80, end: 80 }, { begin: 79, end: 79 }]), '79-80');
});

test('PortList vs a bitmap (property)', () => {
  const R = fc.tuple(fc.integer({ min: 0, max: 140_000 }), fc.integer({ min: 0, max: 300 }))
    .map(([b, len]) => ({ begin: b, end: b + len }));
  fc.assert(
    fc.property(fc.array(R, { maxLength: 12 }), fc.array(R, { maxLength: 12 }), (inc, exc) => {
      const set = new Set<number>();
      for (const r of inc) for (let p = r.begin; p <= r.end; p++) set.add(p);
      for (const r of exc) for (let p = r.begin; p <= r.end; p++) set.delete(p);
      const want = [...set].sort((x, y) => x - y);
      const l = new PortList(inc).exclude(new PortList(exc));
      assert.equal(l.count(), want.length);
      for (let k = 0; k < want.length; k += 3) assert.equal(l.pick(k), want[k]);
      for (const p of want.slice(0, 50)) assert.equal(l.contains(p), true, String(p));
      // and the ports an exclude removed, or just past a range, are not contained
      for (const r of [...exc, ...inc]) {
        for (const p of [r.begin, r.end, r.end + 1]) assert.equal(l.contains(p), set.has(p), String(p));
      }
    }),
    { numRuns: 200 },
  );
});

/**
 * The reference model of the grammar (ports.ts): cut the comment, split at commas, and each
 * trimmed item must match one regular expression whole. Returns the ranges, or null for an
 * error.
 */
function modelPorts(spec: string, proto: 'tcp' | 'udp' | 'sctp'): { begin: number; end: number }[] | null {
  const ws = /[ \t\n\v\f\r]/;
  let text = spec;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '#' && (i === 0 || ws.test(text[i - 1]!))) { text = text.slice(0, i); break; }
  }
  if (text.trim() === '') return [];
  const NUM = '(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)';
  const item = new RegExp(`^(?:([tusoiTUSOI]):)?(?:${NUM}(-${NUM}?)?|-${NUM}?)$`);
  const bases: Record<string, number> = { t: 0, u: 65536, s: 131072, i: 196608, o: 196864 };
  let base = proto === 'udp' ? 65536 : proto === 'sctp' ? 131072 : 0;
  let max = 65535;
  const out: { begin: number; end: number }[] = [];
  for (const raw of text.split(',')) {
    const m = item.exec(raw.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, ''));
    if (m === null) return null;
    if (m[1] !== undefined) {
      base = bases[m[1].toLowerCase()]!;
      max = base === 196864 ? 255 : 65535;
    }
    const num = (t: string): number => (/^0[xX]/.test(t) ? parseInt(t.slice(2), 16) : t.startsWith('0') ? parseInt(t, 8) : parseInt(t, 10));
    let begin: number;
    let end: number;
    if (m[2] !== undefined) {
      begin = num(m[2]);
      end = m[3] === undefined ? begin : m[4] === undefined ? max : num(m[4]);
    } else {
      begin = 1;
      end = m[5] === undefined ? max : num(m[5]);
    }
    if (begin > max || end > max || end < begin) return null;
    out.push({ begin: base + begin, end: base + end });
  }
  return out;
}

test('parsePorts fuzz: any text parses to exactly what it says (the model) or is a ScanError', () => {
  const alphabet = fc.constantFrom(...'0123456789-,:#xXtTuUsSoOiIzZ \t\n;.+'.split(''));
  const token = fc.oneof(
    fc.constantFrom('80', '0', '010', '0x50', '65535', '65536', '255', '256', '-', ',', ', ', ' ', 'U:', 'T:', 'O:',
      'S:', 'I:', 'X:', '#', ' #', 'x', '08', '4294967376', '1-2', '9-1'),
    alphabet,
  );
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
    fc.array(token, { maxLength: 12 }).map((a) => a.join('')),
  );
  let parsed = 0;
  fc.assert(
    fc.property(text, fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const), (s, p) => {
      const want = modelPorts(s, p);
      let got: { begin: number; end: number }[] | null;
      try {
        got = parsePorts(s, p);
      } catch (e) {
        if (!(e instanceof ScanError)) throw e;
        assert.equal(e.code, 'ERR_BAD_PORT');
        assert.ok(e.message.length < 400, e.message);
        got = null;
      }
      assert.deepEqual(got, want, JSON.stringify(s));
      if (got !== null) {
        parsed++;
        for (const r of got) assert.ok(r.begin <= r.end && r.begin >= 0 && r.end < 196608 + 65536);
        formatPortsForEcho(new PortList(got));
      }
    }),
    { numRuns: 5000 },
  );
  assert.ok(parsed > 100, `only ${parsed} of 5000 texts were lists: the generator no longer reaches the parser's paths`);
});

// `masscan --top-ports N 10.0.0.1 --echo` (1.3.2), ports line:
const TOP_132: [number, string][] = [
  [1, '1'],
  [5, '1,3-4,6-7'],
  [10, '1,3-4,6-7,9,13,17,19-20'],
  [20, '1,3-4,6-7,9,13,17,19-26,30,32-33,37'],
  [100, '1,3-4,6-7,9,13,17,19-26,30,32-33,37,42-43,49,53,70,79-85,88-90,99-100,106,109-111,113,119,125,' +
    '135,139,143-144,146,161,163,179,199,211-212,222,254-256,259,264,280,301,306,311,340,366,389,' +
    '406-407,416-417,425,427,443-445,458,464-465,481,497,500,512-515,524,541,543-545,548,554-555,' +
    '563,587,593,616-617'],
  [0, ''],
];

test('topPorts matches masscan 1.3.2 (nmap top 1000 TCP in port order, -sU ignored)', () => {
  for (const [n, want] of TOP_132) {
    const tcp = topPorts(n, 'tcp');
    assert.equal(formatPortsForEcho(tcp.map((p) => ({ begin: p, end: p }))), want, String(n));
    assert.deepEqual(topPorts(n, 'udp'), tcp, '1.3.2 uses the TCP table under -sU too');
  }
  const all = topPorts(1000, 'tcp');
  assert.equal(all.length, 1000);
  assert.equal(new Set(all).size, 1000);
  assert.deepEqual(topPorts(5000, 'tcp'), all);
  assert.equal(all[all.length - 1], 65389);
  assert.ok(all.includes(80) && all.includes(443) && all.includes(8080));
});

test('topPortsByFrequency: nmap ranking', () => {
  assert.deepEqual(topPortsByFrequency(5, 'tcp'), [80, 23, 443, 21, 22]);
  assert.deepEqual(topPortsByFrequency(3, 'udp'), [631, 161, 137]);
  assert.deepEqual([...topPortsByFrequency(1000, 'tcp')].sort((x, y) => x - y), topPorts(1000, 'tcp'));
});
