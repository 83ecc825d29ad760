/**
 * Every field of the library's options reaches the ScanConfig field its command-line option
 * sets (through the command line's parser), and the default configuration file is not read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiParseIo, configFromOptions, optionArgs, type ScanOptions } from '../../src/api/options.js';
import { ip4 } from '../engine/scan-sim.js';

test('every option field sets its ScanConfig field', () => {
  const o: ScanOptions = {
    targets: ['10.0.0.0/24', '2001:db8::/126'], exclude: '10.0.0.128/25', ports: 'T:80,U:53', excludePorts: '81',
    rate: 1234.5, seed: 0xffffffffffffffffn, shard: { index: 2, count: 3 }, resume: { index: 10, count: 20 }, retries: 2,
    wait: 'forever', ttl: 33, blackrockRounds: 9, txThreads: 2, infinite: true,
    adapter: { name: 'veth9', routerMac: '02:00:00:00:00:09', routerIp: '10.0.0.254', sourceIp: '10.0.0.77', sourceMac: '02:00:00:00:00:08', vlan: 12 },
    sourcePort: '40000-40015', offline: true, txBackend: 'txring', bpf: 'udp', pcapFilename: '/tmp/x.pcap', banners: true,
    bannerOptions: {
      connectionTimeout: 7, helloTimeout: 3, hello: 'http', httpUserAgent: 'ua/1', httpHost: 'h.example', httpMethod: 'HEAD',
      httpUrl: '/x', httpVersion: 'HTTP/1.0', httpHeaders: { 'X-A': 'b' }, tlsSni: 'sni.example', capture: ['html'], noFirewall: true,
    },
    noreset: true,
  };
  const warnings: string[] = [];
  const c = configFromOptions(o, 'scan', apiParseIo(warnings));
  assert.deepEqual(warnings, []);
  assert.equal(c.operation, 'scan');
  assert.deepEqual(c.targets4, [{ begin: ip4('10.0.0.0'), end: ip4('10.0.0.127') }]);
  assert.equal(c.targets6.length, 1);
  assert.deepEqual(c.ports.map((p) => [p.begin, p.end]), [[80, 80], [65536 + 53, 65536 + 53]]);
  assert.equal(c.rate, 1234.5);
  assert.equal(c.seed, 0xffffffffffffffffn);
  assert.deepEqual(c.shard, { one: 2, of: 3 });
  assert.equal(c.resumeIndex, 10);
  assert.equal(c.resumeCount, 20);
  assert.equal(c.retries, 2);
  assert.equal(c.wait, Infinity);
  assert.equal(c.ttl, 33);
  assert.equal(c.blackrockRounds, 9);
  assert.equal(c.txThreads, 2);
  assert.equal(c.infinite, true);
  assert.equal(c.adapter, 'veth9');
  assert.equal(c.routerMac4, '02:00:00:00:00:09');
  assert.equal(c.routerMac6, '02:00:00:00:00:09');
  assert.equal(c.routerIp, ip4('10.0.0.254'));
  assert.deepEqual(c.adapterIp4, { begin: ip4('10.0.0.77'), end: ip4('10.0.0.77') });
  assert.equal(c.adapterMac, '02:00:00:00:00:08');
  assert.equal(c.vlan, 12);
  assert.deepEqual(c.adapterPort, { begin: 40000, end: 40015 });
  assert.equal(c.offline, true);
  assert.equal(c.txBackend, 'txring');
  assert.equal(c.bpf, 'udp');
  assert.equal(c.pcapFilename, '/tmp/x.pcap');
  assert.equal(c.banners, true);
  assert.equal(c.connectionTimeout, 7);
  assert.equal(c.helloTimeout, 3);
  assert.equal(c.hello, 'http');
  assert.equal(c.httpUserAgent, 'ua/1');
  assert.equal(c.httpHost, 'h.example');
  assert.equal(c.httpMethod, 'HEAD');
  assert.equal(c.httpUrl, '/x');
  assert.equal(c.httpVersion, 'HTTP/1.0');
  assert.deepEqual(c.httpHeaders, [['X-A', 'b']]);
  assert.equal(c.tlsSni, 'sni.example');
  assert.ok(c.capture.includes('html'));
  assert.equal(c.noFirewall, true);
  assert.equal(c.noreset, true);
  assert.deepEqual(c.outputs, [], 'a library scan writes no files');
});

test('options become the command line option pairs; ping/arp/top-ports; no default config file', () => {
  assert.deepEqual(optionArgs({ targets: '10.0.0.1', ports: [80, 'U:53'], ping: true, seed: 5 }),
    ['--range', '10.0.0.1', '--ports', '80,U:53', '--ping', '--seed', '5']);
  const c = configFromOptions({ targets: '10.0.0.1', topPorts: 5 }, 'scan', apiParseIo([]));
  assert.equal(c.ports.length > 0, true);
  const arp = configFromOptions({ targets: '10.0.0.0/30', arp: true }, 'scan', apiParseIo([]));
  assert.equal(arp.arpscan, true);
  assert.equal(apiParseIo([]).env.TIDESCAN_NO_DEFAULT_CONFIG, '1');
});
