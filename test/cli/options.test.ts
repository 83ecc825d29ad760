import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPTIONS, findOption, normaliseName } from '../../src/cli/options.js';
import { echoConfig } from '../../src/cli/echo.js';
import { parseBool, isBoolWord, formatRate } from '../../src/cli/values.js';
import type { ScanConfig } from '../../src/core/config.js';
import { testIo, parse, parseText } from './helpers.js';

const BASE = ['10.0.0.0/8', '-p80', '--seed', '7'];
const FILES = {
  'targets.txt': '# targets\n192.168.1.0/24\n10.9.9.9 # trailing comment\n2001:db8::/120\n',
  'exclude.txt': '10.0.0.0/16\n; comment\n',
  'hello.bin': Buffer.from([0, 1, 2, 250, 255]),
};

/**
 * Every option that leaves state, with command lines that set it (BASE is prepended unless the
 * entry starts with '!'). The completeness test below fails when an option has no sample.
 */
const SAMPLES: Record<string, string[][]> = {
  range: [['--range', '192.168.0.1-192.168.0.9'], ['--ip=2001:db8::1'], ['--range', '10.0.0.0/8,11.0.0.0/24 12.0.0.1']],
  includefile: [['--includefile', 'targets.txt'], ['-iL', 'targets.txt']],
  exclude: [['--exclude', '10.0.0.0/9'], ['--exclude=10.0.0.5'], ['--range', '::/120', '--exclude', '::5']],
  excludefile: [['--excludefile', 'exclude.txt']],
  ports: [['--ports', '1-5,U:53,S:9,I:0'], ['-p', 'U:53,161,T:80'], ['-p0'], ['--port', 'O:6']],
  'tcp-ports': [['--tcp-ports', '22']],
  'udp-ports': [['--udp-ports', '53,161']],
  oproto: [['--oproto', '6']],
  'exclude-ports': [['-p', '1-100', '--exclude-ports', '50-60']],
  'top-ports': [['--top-ports'], ['--top-ports', '100'], ['--top-ports=5']],
  ping: [['--ping']],
  arpscan: [['!', '--arp', '10.0.0.0/24', '--seed', '1']],
  rate: [['--rate', '100000'], ['--rate=0.5'], ['--max-rate', '1000.25'], ['--rate', '1e5'], ['--rate', '0.1234567']],
  seed: [['--seed', '0'], ['--seed', '18446744073709551615'], ['--seed', '0xff'], ['--seed', 'time']],
  shard: [['--shard', '2/4'], ['--shards', '3:3'], ['--shard', '1/1']],
  'resume-index': [['--resume-index', '12345']],
  'resume-count': [['--resume-count', '99']],
  retries: [['--retries', '3'], ['--retry', '0x10'], ['--max-retries=010']],
  'blackrock-rounds': [['--blackrock-rounds', '4']],
  infinite: [['--infinite']],
  wait: [['--wait', '3'], ['--wait', 'forever'], ['--wait', '2.5'], ['--wait', '0']],
  'tx-threads': [['--tx-threads', '2']],
  adapter: [['--adapter', 'eth0'], ['-e', 'eth1'], ['--adapter[0]', 'eth2'], ['-ieth3'],
    ['-e', 'eth0', '--adapter[1]', 'eth1', '--adapter-ip[1]', '192.0.2.6', '--adapter-ip[1]', '2001:db8::6',
      '--adapter-mac[1]', '02:00:00:00:00:06', '--router-mac[1]', '66:55:44:33:22:16', '--router-ip[1]', '192.0.2.7',
      '--adapter[2]', 'eth2', '--router-mac-ipv4[2]', '66:55:44:33:22:17']],
  'adapter-ip': [['--adapter-ip', '192.0.2.5'], ['-S', '192.0.2.8-192.0.2.15'], ['--src-ip', '2001:db8::5'],
    ['--adapter-ip[0]', '192.0.2.9'], ['--adapter-ip', '192.0.2.16/30']],
  'adapter-port': [['--adapter-port', '40000-40015'], ['-g', '5000'], ['--source-port', '61000']],
  'adapter-mac': [['--adapter-mac', '00:11:22:33:44:55'], ['--spoof-mac', '00-11-22-33-44-56'], ['--adapter-mac[0]', '02:00:00:00:00:01']],
  'router-mac': [['--router-mac', '66:55:44:33:22:11'], ['--router-mac[0]', '66:55:44:33:22:12']],
  'router-mac-ipv4': [['--router-mac-ipv4', '66:55:44:33:22:13']],
  'router-mac-ipv6': [['--router-mac-ipv6', '66:55:44:33:22:14']],
  'router-ip': [['--router-ip', '192.0.2.1'], ['--router-ip[0]', '192.0.2.2']],
  vlan: [['--vlan', '42']],
  ttl: [['--ttl', '64'], ['--ttl', '0']],
  offline: [['--offline'], ['--dry-run']],
  'tx-backend': [['--tx-backend', 'txring'], ['--tx-backend=sendmmsg']],
  'tx-arbiter': [['--tx-arbiter', 'serial'], ['--tx-arbiter=parallel']],
  'output-format': [['--output-format', 'json', '--output-filename', 'a.json'], ['--output-format', 'ndjson']],
  'output-filename': [['--output-filename', 'scan.xml'], ['-oJ', 'a.json', '-oX', 'b.xml', '-oL', '-'],
    ['-oG', 'g.txt', '-oB', 'x.bin', '-oU', 'u.txt', '-oH', 'h.txt', '-oD', 'd.json'], ['-oLfile.txt'],
    ['--output-filename', 'a', '--output-format', 'binary'], ['-oX', ' spaced name.xml ']],
  'output-append': [['--output-append'], ['--append-output']],
  open: [['--show', 'closed', '--open']],
  show: [['--show', 'closed'], ['--show', 'all'], ['--show', 'open,close']],
  noshow: [['--noshow', 'open'], ['--show', 'all', '--noshow', 'closed']],
  interactive: [['--interactive']],
  nointeractive: [['--interactive', '--nointeractive']],
  status: [['--status=false'], ['--nostatus', '--status']],
  nostatus: [['--nostatus']],
  'ndjson-status': [['--ndjson-status'], ['--status-ndjson']],
  rotate: [['--rotate', '3600'], ['--rotate', 'hourly'], ['--rotate', '5min'], ['--rotate', 'daily']],
  'rotate-offset': [['--rotate-offset', '60'], ['--rotate-offset', '-1h']],
  'rotate-size': [['--rotate-size', '1m'], ['--rotate-size', '12345']],
  'rotate-dir': [['--rotate-dir', '/tmp/'], ['--rotate-dir', 'out'], ['--rotate-dir', 'a/\ufeff/ ']],
  stylesheet: [['--stylesheet', 'my.xsl']],
  webxml: [['--webxml']],
  'no-stylesheet': [['--stylesheet', 'x.xsl', '--no-stylesheet']],
  'pcap-filename': [['--pcap', 'x.pcap'], ['--pcap-filename', 'y.pcap']],
  'packet-trace': [['--packet-trace']],
  verbosity: [['-v'], ['-vvv'], ['--verbosity', '2']],
  banners: [['--banners'], ['--banner']],
  nobanners: [['--banners', '--nobanners'], ['--banners', '--banners=0']],
  'connection-timeout': [['--connection-timeout', '60']],
  'hello-timeout': [['--hello-timeout', '3']],
  hello: [['--hello', 'ssl'], ['--hello', 'HTTP']],
  'hello-string': [['--hello-string[80]', 'aGVsbG8='], ['--hello-string[443]=AAEC', '--hello-string[22]', 'AA==']],
  'hello-file': [['--hello-file[80]', 'hello.bin']],
  'http-user-agent': [['--http-user-agent', 'Mozilla/5.0 (X11)']],
  'http-host': [['--http-host', 'example.com']],
  'http-method': [['--http-method', 'POST']],
  'http-url': [['--http-url', '/index.html']],
  'http-version': [['--http-version', '1.0']],
  'http-header': [['--http-header', 'X-A:b'], ['--http-header[Cookie]', 'a=1', '--http-field', 'X-B: c d']],
  'http-cookie': [['--http-cookie', 'a=1', '--http-cookie', 'b=2']],
  'http-payload': [['--http-payload', 'x=1&y=2']],
  'http-field-remove': [['--http-field-remove', 'Accept']],
  capture: [['--capture', 'html'], ['--capture', 'cert,html'], ['--nocapture', 'cert', '--capture', 'cert']],
  nocapture: [['--nocapture', 'cert'], ['--no-capture', 'servername'], ['--capture', 'html', '--nocapture', 'html,cert']],
  'tls-sni': [['--tls-sni', 'example.com']],
  'no-identify': [['--no-identify'], ['--no-identify=false']],
  heartbleed: [['--heartbleed'], ['--heartbleed', '--capture', 'heartbleed']],
  ticketbleed: [['--ticketbleed'], ['--ticketbleed', '--capture', 'ticketbleed']],
  vuln: [['--vuln', 'heartbleed'], ['--vuln', 'ticketbleed'], ['--vuln', 'poodle'], ['--vuln', 'sslv3'], ['--vuln', 'ntp-monlist']],
  'banner-types': [['--banner-types', 'http', '--banner-type', 'ssh']],
  'readscan-numbering': [['--readscan-numbering', '1.3.2']],
  noreset: [['--noreset']],
  'no-firewall': [['--no-firewall']],
  'nmap-payloads': [['--nmap-payloads', 'nmap-payloads']],
  'pcap-payloads': [['--pcap-payloads', 'udp.pcap']],
  rawudp: [['--rawudp'], ['--rawudp', '--nobanners']],
  'ntp-probe': [['--ntp-probe', 'readvar'], ['--ntp-probe', 'MONLIST'], ['--ntp-probe', 'client']],
  pfring: [['--pfring']],
  sendq: [['--sendq']],
  readscan: [['--readscan', 'a.bin', 'b.bin']],
  report: [['--report', 'r.html', 'a.bin', 'b.json'], ['--report', 'scan.html']],
  'tcp-mss': [['--tcp-mss', '1200'], ['--tcp-mss=false'], ['--tcpmss']],
  'tcp-wscale': [['--tcp-wscale'], ['--tcp-wscale', '7']],
  'tcp-tsecho': [['--tcp-tsecho'], ['--tcp-tsecho', '200']],
  'tcp-sackok': [['--tcp-sackok']],
  'min-packet': [['--min-packet', '100'], ['--min-pkt', '64']],
  badsum: [['--badsum']],
  'debug-level': [['--debug-level', '2'], ['-d'], ['-ddd']],
  bpf: [['--bpf', 'tcp port 80'], ['--bpf', 'not (src host 10.0.0.9 and udp)']],
  'data-length': [['--data-length', '20']],
  'store-resume': [['--store-resume', '--output-format', 'postgres', '--output-filename', 'postgres://db/scans']],
};

function roundTrip(c: ScanConfig, io = testIo(FILES)): ScanConfig {
  return parseText(echoConfig(c), io);
}

test('every option that leaves state has a round-trip sample', () => {
  // Refused options have their samples in options-effect.test.ts (they must be refused).
  const missing = OPTIONS.filter((d) => ['field', 'raw', 'targets'].includes(d.state) && d.effect.is !== 'refused'
    && SAMPLES[d.name] === undefined);
  assert.deepEqual(missing.map((d) => d.name), []);
  for (const name of Object.keys(SAMPLES)) assert.ok(findOption(name), `sample for unknown option ${name}`);
});

for (const [name, cases] of Object.entries(SAMPLES)) {
  test(`round trip through --echo: ${name}`, () => {
    for (const sample of cases) {
      const argv = sample[0] === '!' ? sample.slice(1) : [...BASE, ...sample];
      const c = parse(argv, testIo(FILES));
      const back = roundTrip(c);
      assert.deepStrictEqual(back, c, `${argv.join(' ')}\n--- echo:\n${echoConfig(c)}`);
    }
  });
}

test('round trip with every sample at once (the arp one aside)', () => {
  const argv = [...BASE];
  for (const [name, cases] of Object.entries(SAMPLES)) {
    if (name === 'arpscan' || name === 'readscan' || name === 'report') continue;
    argv.push(...cases[0]!);
  }
  const c = parse(argv, testIo(FILES));
  assert.deepStrictEqual(roundTrip(c), c);
  // and echo is a fixed point
  assert.equal(echoConfig(roundTrip(c)), echoConfig(c));
});

test('names: -, _ and . ignored, case ignored, every alias resolves to its option', () => {
  assert.equal(normaliseName('--Exclude_File'.slice(2)), 'excludefile');
  for (const def of OPTIONS) {
    for (const n of [def.name, ...def.aliases]) {
      assert.equal(findOption(n), def, n);
      const mangled = n.toUpperCase().replace(/-/g, '_').replace(/^(.)/, '$1.');
      assert.equal(findOption(mangled), def, mangled);
    }
  }
  const a = parse(['10.1.0.1', '-p80', '--Exclude_File', 'exclude.txt', '--MAX.RATE', '5', '--src_ip', '192.0.2.1'], testIo(FILES));
  assert.equal(a.rate, 5);
  assert.equal(a.adapterIp4?.begin, 0xc0000201);
});

test('value forms: --name=value, --name:value, --name value, config file', () => {
  for (const argv of [['--rate=5'], ['--rate:5'], ['--rate', '5']]) {
    assert.equal(parse([...BASE, ...argv]).rate, 5, argv.join(' '));
  }
  assert.equal(parseText('rate = 5\nrange = 10.0.0.1\nports = 80\n').rate, 5);
  // first '=' splits, else first ':'; IPv6 values therefore go with '=' or a space
  assert.equal(parse(['--range=::1', '-p80']).targets6[0]!.begin, 1n);
  assert.equal(parse(['--range', '::2', '-p80']).targets6[0]!.begin, 2n);
  assert.equal(parse([...BASE, '--pcap-payloads=X:y']).raw.get('pcap-payloads')![0], 'X:y');
});

test('name[index] forms', () => {
  assert.equal(parse([...BASE, '--adapter[0]', 'eth9']).adapter, 'eth9');
  assert.equal(parse([...BASE, '--router-mac-ipv4[0]', '00:11:22:33:44:55']).routerMac4, '00:11:22:33:44:55');
  assert.throws(() => parse([...BASE, '--rate[1]', '5']), /takes no \[index\]/);
  assert.throws(() => parse([...BASE, '--hello-string[70000]', 'aGk=']), /index/);
  assert.throws(() => parse([...BASE, '--adapter[9]', 'x']), /adapter index/);
  // adapter[n] n = 1..7: more adapters, each option per index (cli/adapters.ts).
  for (const o of ['adapter-ip', 'adapter-mac', 'router-mac', 'router-mac-ipv4', 'router-mac-ipv6', 'router-ip']) {
    const v = o.includes('mac') ? '00:11:22:33:44:55' : '192.0.2.1';
    // without adapter[n] the option has nothing to act on: an error, not ignored
    const base = o === 'router-mac' ? 'router-mac-ipv4' : o;
    assert.throws(() => parse([...BASE, `--${o}[1]`, v]),
      (e: Error) => e.message === `${base}[1]: no adapter[1] names the interface it is for`, o);
    assert.throws(() => parseText(`range = 10.0.0.1\nports = 80\nadapter[6] = x6\n${o}[6] = ${v}\n`), /adapter\[1\]: missing/, o);
  }
  const c = parseText([
    'range = 10.0.0.1', 'ports = 80', 'adapter = a0', 'adapter[1] = a1', 'adapter-ip[1] = 192.0.2.8/30',
    'adapter-ip[1] = 2001:db8::9', 'adapter-mac[1] = 02-00-00-00-00-01', 'router-mac[1] = 02:00:00:00:00:02',
    'router-ip[1] = 192.0.2.1', 'adapter[2] = a2', 'router-mac-ipv6[2] = 02:00:00:00:00:03', '',
  ].join('\n'));
  assert.equal(c.adapter, 'a0');
  assert.deepEqual(c.extraAdapters, [
    { index: 1, adapter: 'a1', adapterIp4: { begin: 0xc0000208, end: 0xc000020b }, adapterIp6: 0x20010db8000000000000000000000009n,
      adapterMac: '02:00:00:00:00:01', routerMac4: '02:00:00:00:00:02', routerMac6: '02:00:00:00:00:02', routerIp: 0xc0000201 },
    { index: 2, adapter: 'a2', adapterIp4: undefined, adapterIp6: undefined, adapterMac: undefined,
      routerMac4: undefined, routerMac6: '02:00:00:00:00:03', routerIp: undefined },
  ]);
  // the command-line spelling means the same
  const d = parse([...BASE, '-e', 'a0', '--adapter[1]', 'a1', '--adapter-ip[1]', '192.0.2.8/30', '--adapter-ip[1]=2001:db8::9',
    '--adapter-mac[1]', '02-00-00-00-00-01', '--router-mac[1]', '02:00:00:00:00:02', '--router-ip[1]', '192.0.2.1',
    '--adapter[2]', 'a2', '--router-mac-ipv6[2]', '02:00:00:00:00:03']);
  assert.deepEqual(d.extraAdapters, c.extraAdapters);
  assert.deepEqual(parse(BASE).extraAdapters, []);
});

test('singletons never consume the next argument', () => {
  const c = parse(['--infinite', '10.0.0.1', '-p80', '--offline', '10.0.0.2']);
  assert.equal(c.infinite, true);
  assert.equal(c.offline, true);
  assert.deepEqual(c.targets4, [{ begin: 0x0a000001, end: 0x0a000002 }]);
  // a boolean word after a flag is a positional, which is an error (masscan does the same)
  assert.throws(() => parse(['--infinite', 'false', '10.0.0.1', '-p80']), /unknown command-line parameter "false"/);
  assert.equal(parse(['--infinite=false', '10.0.0.1', '-p80']).infinite, false);
});

test('numable options take the next argument only when it is digits or a boolean word', () => {
  const a = parse(['--top-ports', '10.0.0.1', '--seed', '1']);
  assert.equal(a.ports.length > 0, true);
  assert.deepEqual(a.targets4, [{ begin: 0x0a000001, end: 0x0a000001 }]);
  const twenty = a.ports.reduce((n, p) => n + p.end - p.begin + 1, 0);
  assert.equal(twenty, 20);
  const five = parse(['--top-ports', '5', '10.0.0.1']).ports.reduce((n, p) => n + p.end - p.begin + 1, 0);
  assert.equal(five, 5);
  // a boolean word is taken (and here turns --top-ports off again), an address is not
  assert.deepEqual(parse([...BASE, '--top-ports', 'false']).ports, [{ begin: 80, end: 80 }]);
  assert.equal(parse(['-p80', '--top-ports', '10.0.0.2']).targets4.length, 1);
});

test('--readscan consumes following arguments that do not start with -', () => {
  const c = parse(['--readscan', 'a.bin', 'b.bin', '-oX', 'out.xml']);
  assert.equal(c.operation, 'readscan');
  assert.deepEqual(c.readscanFiles, ['a.bin', 'b.bin']);
  assert.deepEqual(c.outputs, [{ format: 'xml', filename: 'out.xml' }]);
});

test('--report OUT FILES…: the first file is the report, the others are read as --readscan reads them; -oW while scanning', () => {
  const c = parse(['--report', 'r.html', 'a.bin', 'b.ndjson', '-oX', 'out.xml']);
  assert.equal(c.operation, 'readscan');
  assert.deepEqual(c.readscanFiles, ['a.bin', 'b.ndjson']);
  assert.deepEqual(c.outputs, [{ format: 'report', filename: 'r.html' }, { format: 'xml', filename: 'out.xml' }]);
  // Alone it is one more output of a scan, like -oW and --output-format report.
  for (const argv of [['--report', 'r.html'], ['-oW', 'r.html'], ['-oWr.html'], ['--output-format', 'report', '--output-filename', 'r.html']]) {
    const s = parse([...BASE, ...argv]);
    assert.equal(s.operation, 'scan', argv.join(' '));
    assert.deepEqual(s.outputs, [{ format: 'report', filename: 'r.html' }], argv.join(' '));
  }
  assert.throws(() => parse([...BASE, '--report']), /--report: no files given/);
  // -oR stays masscan's Redis letter (refused here), not the report.
  assert.throws(() => parse([...BASE, '-oR', '127.0.0.1']), /Redis/);
});

test('positional targets must start with a digit, : or [', () => {
  assert.equal(parse(['::1', '-p80']).targets6.length, 1);
  assert.equal(parse(['[2001:db8::1]', '-p80']).targets6.length, 1);
  assert.throws(() => parse(['abcd::1', '-p80']), /unknown command-line parameter "abcd::1" \(did you want "--abcd::1"\?\)/);
});

test('nmap single-dash options', () => {
  assert.deepEqual(parse(['-p80', '10.0.0.1']).ports, [{ begin: 80, end: 80 }]);
  assert.deepEqual(parse(['-p', '80', '10.0.0.1']).ports, [{ begin: 80, end: 80 }]);
  assert.deepEqual(parse(['-sU', '-p53', '10.0.0.1']).ports, [{ begin: 65536 + 53, end: 65536 + 53 }]);
  assert.deepEqual(parse(['-p53', '-sU', '10.0.0.1']).ports, [{ begin: 53, end: 53 }], '-sU applies to later -p only');
  assert.deepEqual(parse(['-sZ', '-p9', '10.0.0.1']).ports, [{ begin: 131072 + 9, end: 131072 + 9 }]);
  assert.equal(parse(['-sS', '-Pn', '-n', '-6', '-sY', '-p1', '10.0.0.1']).operation, 'scan');
  assert.equal(parse(['-sL', '10.0.0.1']).operation, 'list');
  assert.equal(parse(['-iL', 'targets.txt', '-p1'], testIo(FILES)).targets4.length, 2);
  assert.deepEqual(parse(['-oX', 'a.xml', '-oJb.json', '-p1', '10.0.0.1']).outputs,
    [{ format: 'xml', filename: 'a.xml' }, { format: 'json', filename: 'b.json' }]);
  const c = parse(['-e', 'eth0', '-S', '192.0.2.1', '-g', '40000', '-v', '-vv', '-p1', '10.0.0.1']);
  assert.equal(c.adapter, 'eth0');
  assert.equal(c.adapterPort?.begin, 40000);
  assert.equal(c.verbosity, 3);
  // -d, -dd: debug levels (the receive side's counts, engine/receive.ts receiveDebugLines)
  assert.equal(parse(['-d', '-p1', '10.0.0.1']).debug, 1);
  assert.equal(parse(['-dd', '-d', '-p1', '10.0.0.1']).debug, 3);
  assert.equal(parse(['-ieth5', '-p1', '10.0.0.1']).adapter, 'eth5');
  assert.equal(parse(['-W']).operation, 'iflist');
  assert.equal(parse(['-V']).operation, 'version');
  assert.equal(parse(['-h']).operation, 'usage');
  assert.equal(parse(['-?']).operation, 'usage');
  assert.equal(parse([]).operation, 'usage');
  assert.equal(parse(['--help']).operation, 'help');
  assert.equal(parse(['--nmap']).operation, 'nmap-help');
  assert.equal(parse(['--version']).operation, 'version');
  assert.equal(parse(['--iflist']).operation, 'iflist');
  const io = testIo();
  parse(['-sT', '-p1', '10.0.0.1'], io);
  assert.deepEqual(io.warnings, ['nmap(-sT): connect() is too synchronous for cool kids',
    'WARNING: doing SYN scan (-sS) anyway, ignoring (-sT)']);
  for (const [argv, re] of [
    [['-sA'], /^nmap\(-sA\): /], [['-sV'], /^nmap\(-sV\): /], [['-sn'], /^nmap\(-sn\): /],
    [['-PS'], /^nmap\(-PS\): /], [['-A'], /^nmap\(-A\): /], [['-O'], /^nmap\(-O\): /], [['-F'], /^nmap\(-F\): /],
    [['-f'], /^nmap\(-f\): /], [['-b'], /^nmap\(-b\): /], [['-T4'], /^nmap\(-T4\): /], [['-R'], /^nmap\(-R\): /],
    [['-r'], /^nmap\(-r\): /], [['-oA', 'x'], /^nmap\(-oA\): unsupported output format/], [['-oN', 'x'], /^nmap\(-oN\)/],
    [['-oS', 'x'], /^nmap\(-oS\)/], [['-iR', '5'], /^nmap\(-iR\)/], [['-sSU'], /^-sSU: unknown parameter/],
    [['-Z'], /^unknown option: -Z/], [['--host-timeout', '5'], /^nmap\(host-timeout\): /],
    [['--scan-delay', '5'], /^nmap\(scan-delay\)/], [['--mtu', '5'], /^nmap\(mtu\)/],
    [['--traceroute'], /^nmap\(traceroute\)/], [['--version-light'], /^nmap\(version\)/],
    [['--osscan-guess'], /^nmap\(osscan\)/], [['--system-dns'], /^nmap\(system-dns\)/],
    [['--min-rate', '5'], /^nmap\(min-rate\): unsupported/],
  ] as [string[], RegExp][]) {
    assert.throws(() => parse([...argv, '10.0.0.1', '-p1']), (e: Error) => re.test(e.message), argv.join(' '));
  }
  const info = testIo();
  parse(['--send-eth', '--release-memory', '10.0.0.1', '-p1'], info);
  assert.equal(info.warnings.length, 2);
  assert.match(info.warnings[0]!, /^nmap\(send-eth\): /);
});

test('booleans follow masscan: false words start with 0, d, f, n or of', () => {
  for (const t of ['', '1', 'true', 'yes', 'on', 'enable', 'x', 'On']) assert.equal(parseBool(t), true, t);
  for (const f of ['0', 'false', 'no', 'off', 'disable', 'disabled', 'FALSE', 'N', 'OFF', 'd']) assert.equal(parseBool(f), false, f);
  for (const w of ['0', '1', 'enable', 'enabled', 'disable', 'disabled', 'true', 'false', 'on', 'off', 'yes', 'no']) {
    assert.ok(isBoolWord(w), w);
  }
  assert.ok(!isBoolWord('10.0.0.1'));
});

test('seeds: decimal, 0x, time; default random from the io', () => {
  assert.equal(parse([...BASE.slice(0, 2), '--seed', '18446744073709551615']).seed, 18446744073709551615n);
  assert.equal(parse([...BASE.slice(0, 2), '--seed', '0xDEADBEEF']).seed, 0xdeadbeefn);
  assert.equal(parse([...BASE.slice(0, 2), '--seed', 'time']).seed, 1_700_000_000n);
  assert.equal(parse(BASE.slice(0, 2)).seed, 0x1234_5678_9abc_def0n);
  assert.throws(() => parse([...BASE, '--seed', '18446744073709551616']), /--seed "18446744073709551616": larger than 2\^64-1/);
  assert.throws(() => parse([...BASE, '--seed', '-1']), /--seed "-1"/);
});

test('after parsing: TCP assumed, --top-ports added last, shard warning', () => {
  // --top-ports before -sU: the ports are still added at the end (as masscan 1.3.2, as TCP)
  const c = parse(['--top-ports', '3', '-sU', '-p', '53', '10.0.0.1']);
  assert.deepEqual(c.ports, [{ begin: 1, end: 1 }, { begin: 3, end: 4 }, { begin: 65536 + 53, end: 65536 + 53 }]);
  const io = testIo();
  parse(['10.0.0.1', '-p1', '--shard', '1/2'], io);
  assert.deepEqual(io.warnings, ['[-] WARNING: --seed <num> is not specified', '    HINT: all shards must share the same seed']);
  const quiet = testIo();
  parse(['10.0.0.1', '-p1', '--shard', '1/2', '--seed', '3'], quiet);
  assert.deepEqual(quiet.warnings, []);
});

test('--arp sets the router MAC and refuses other ports', () => {
  const c = parse(['--arp', '10.0.0.0/24']);
  assert.equal(c.arpscan, true);
  assert.equal(c.routerMac4, 'ff:ff:ff:ff:ff:ff');
  assert.deepEqual(c.ports, [{ begin: 196610, end: 196610 }]);
  assert.throws(() => parse(['--arp', '10.0.0.0/24', '-p80']), /cannot arpscan and portscan at the same time/);
});

test('rate echo format is masscan\'s %-10.0f / %f', () => {
  assert.equal(formatRate(100), '100       ');
  assert.equal(formatRate(1000.5), '1000.500000');
  assert.equal(formatRate(0.1234567), '0.1234567');
  for (const r of [1e-7, 123456.789, 3.14159265358979, 1e12]) {
    const t = formatRate(r).trim();
    assert.ok(!/e/i.test(t), t);
    assert.equal(Number(t), r);
  }
});

test('output-format after output-filename applies to that file (masscan echo order)', () => {
  const c = parse([...BASE, '--output-filename', 'a', '--output-format', 'json', '--output-format', 'list', '--output-filename', 'b']);
  assert.deepEqual(c.outputs, [{ format: 'list', filename: 'a' }, { format: 'xml', filename: 'b' }]);
  const d = parse([...BASE, '--output-format', 'json', '--output-filename', 'a']);
  assert.deepEqual(d.outputs, [{ format: 'json', filename: 'a' }]);
});

test('bad values name the option and the value', () => {
  const cases: [string[], RegExp][] = [
    [['--rate', 'fast'], /^--rate "fast": /],
    [['--rate', '0'], /^--rate "0": rate must be greater than 0/],
    [['--shard', '0/2'], /^--shard "0\/2": /],
    [['--shard', 'x'], /^--shard "x": expected x\/y/],
    [['--retries', '1000'], /^--retries "1000": must be at most 999/],
    [['--ttl', '256'], /^--ttl "256"/],
    [['--wait', 'soon'], /^--wait "soon"/],
    [['--adapter-ip', '1.2.3.4-1.2.3.6'], /power of two/],
    [['--adapter-port', '1-3'], /power of two/],
    [['--adapter-mac', '00:11'], /^--adapter-mac "00:11": expected a MAC/],
    [['--output-format', 'yaml'], /^--output-format "yaml": unknown output format/],
    [['--show', 'bogus'], /unknown 'show' spec/],
    [['--capture', 'bogus'], /unknown capture type/],
    [['--capture', 'servername'], /^--capture servername: not supported yet$/],
    [['--hello', 'ftp'], /unknown hello type/],
    [['--ntp-probe', 'mode7'], /^--ntp-probe "mode7": unknown NTP probe \(client, readvar, monlist\)/],
    [['--http-header', 'nocolon'], /needs both a name and a value/],
    [['--hello-string[80]', '!!'], /not base64/],
    // a refused option is refused whatever its value
    [['--vuln', 'x'], /^--vuln "x": vuln check does not exist/],
    [['--redis-pwd', 'x'], /^--redis-pwd: not supported yet$/],
    [['--tcp-mss', '70000'], /^--tcp-mss "70000": must be at most 65535/],
    [['--data-length', '1460'], /^--data-length "1460": must be at most 1459/],
    [['--tx-backend', 'x'], /expected sendmmsg or txring/],
    [['--tx-arbiter', 'x'], /expected auto, parallel or serial/],
    [['--rotate', 'sometimes'], /^--rotate "sometimes"/],
    [['--rotate-size', '1q'], /^--rotate-size "1q"/],
    [['--exclude', '1.2.3'], /^--exclude: bad IP address\/range: "1.2.3"/],
    [['--range', '10.0.0.0/33'], /^--range: bad IP address\/range/],
    [['-p', '70000'], /^-p: bad target port "70000": above 65535/],
    [['--rate'], /^--rate: missing value/],
    [['-oX'], /^-oX: missing value/],
    [['-oX', ' '], /^-oX: missing output filename/],
    [['--output-format', 'constructor'], /^--output-format "constructor": unknown output format/],
    [['--rotate', '__proto__'], /^--rotate "__proto__": expected seconds/],
    [['--rotate', '5constructor'], /^--rotate "5constructor": expected seconds/],
    [['--rotate-size', '1__proto__'], /^--rotate-size "1__proto__"/],
    [['-s__proto__'], /^-s__proto__: unknown parameter/],
    [['--http-url', 'a\rb'], /^--http-url "a\\rb": a value cannot hold a line break/],
    [['--output-filename', '\t'], /^--output-filename: missing output filename/],
    [['-oJ', 'a\nb'], /^-oJ "a\\nb": a value cannot hold a line break/],
    [['--http-header[X\nY]=v'], /^--http-header index "X\\nY": a value cannot hold a line break/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parse([...BASE, ...argv]), (e: Error) => re.test(e.message), `${argv.join(' ')}`);
  }
});

test('--vuln poodle (or sslv3) is the TLS check poodle, banners on, no certificates; --vuln ntp-monlist is the monlist probe', () => {
  for (const v of ['poodle', 'sslv3']) {
    const c = parse(['10.0.0.1', '-p443', '--vuln', v]);
    assert.equal(c.vulnCheck, 'poodle');
    assert.equal(c.banners, true);
    assert.equal(c.capture.includes('cert'), false);
  }
  const n = parse(['10.0.0.1', '-pU:123', '--vuln', 'ntp-monlist']);
  assert.equal(n.ntpProbe, 'monlist');
  assert.equal(n.vulnCheck, undefined);
  assert.equal(n.banners, true);
  assert.equal(n.capture.includes('cert'), true);
  // an explicit --ntp-probe names the probe
  assert.equal(parse(['10.0.0.1', '-pU:123', '--vuln', 'ntp-monlist', '--ntp-probe', 'readvar']).ntpProbe, 'readvar');
});
