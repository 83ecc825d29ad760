/**
 * The HTML report (output/report.ts, output/report-html.ts): what the collector counts, what
 * the page holds (summary, tables, charts as inline SVG), that hostile scan data stays text,
 * that the CSP's hashes match the page's one style and one script, that nothing in the page
 * names another resource, and that the page stays bounded on large input. The browser side
 * (rendering, sorting, filtering, CSP enforcement, no requests) is test/lab/report.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputSet } from '../../src/output/outputs.js';
import { ReportCollector, LIMITS, tlsVersionOf, ipSortKey, type HostEntry } from '../../src/output/report.js';
import { cspSafeSvg, expiryBin, h, renderReport } from '../../src/output/report-html.js';
import { builtinServiceNames } from '../../src/output/services.js';
import type { ScanRecord } from '../../src/core/record.js';
import { META, NOW_MS, SAMPLE, banner, options, requireTool, rmDir, status, testIo, tmpDir, v4 } from './helpers.js';

/** The page written through OutputSet, as -oW writes it. */
function reportOf(records: readonly ScanRecord[], over = {}): string {
  const dir = tmpDir('report');
  try {
    const file = path.join(dir, 'r.html');
    const set = OutputSet.open(options({ outputs: [{ format: 'report', filename: file }], ...over }), META, testIo());
    for (const r of records) set.write(r);
    set.closeAll();
    assert.deepEqual(set.errors, []);
    return fs.readFileSync(file, 'utf8');
  } finally {
    rmDir(dir);
  }
}

/** A self-signed certificate made by openssl (DER), valid for `days`. */
function cert(dir: string, cn: string, days: number, san = `DNS:${cn.replace(/[^a-z0-9.-]/gi, 'x')}`): Buffer {
  requireTool('openssl');
  const key = path.join(dir, 'k.pem');
  const out = path.join(dir, 'c.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', out,
    '-days', String(days), '-subj', `/CN=${cn.replace(/\//g, '\\/')}`, '-addext', `subjectAltName=${san}`,
  ], { stdio: 'pipe' });
  return new X509Certificate(fs.readFileSync(out)).raw;
}

/** Tag names in the page (outside the style and script text). */
function tagNames(html: string): Set<string> {
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<script>[\s\S]*?<\/script>/, '');
  const out = new Set<string>();
  for (const m of body.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)) out.add(m[1]!.toLowerCase());
  return out;
}

/** Every tag of the page with its attributes (text never holds a raw `<`: it is escaped). */
function tags(html: string): string[] {
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<script>[\s\S]*?<\/script>/, '');
  return [...body.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0]);
}

/** No tag has an event handler, a style attribute, or an attribute that loads something. */
function assertInertTags(html: string): void {
  for (const t of tags(html)) {
    assert.doesNotMatch(t, /\son[a-z]+\s*=/i, `event handler in ${t.slice(0, 200)}`);
    assert.doesNotMatch(t, /\sstyle\s*=/i, `style attribute in ${t.slice(0, 200)}`);
    assert.doesNotMatch(t, /\s(?:src|srcset|xlink:href|action|formaction|poster|background|data)\s*=/i, `resource attribute in ${t.slice(0, 200)}`);
    assert.doesNotMatch(t, /\shref="(?!#)/, `link out of the page in ${t.slice(0, 200)}`);
  }
}

const ALLOWED_TAGS = new Set([
  'html', 'head', 'meta', 'title', 'style', 'body', 'header', 'nav', 'main', 'section', 'footer', 'h1', 'h2', 'p', 'a',
  'div', 'b', 'span', 'dl', 'dt', 'dd', 'figure', 'figcaption', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input',
  'code', 'script', 'svg', 'g', 'path', 'rect', 'text', 'tspan', 'circle', 'polyline', 'line', 'clippath', 'defs',
]);

test('collector: hosts, ports (latest status wins, duplicates once), banners once, TLS versions per endpoint', () => {
  const c = new ReportCollector();
  const rs: ScanRecord[] = [
    status('10.0.0.1', 6, 80, 'open', 0x12, 64, 100),
    status('10.0.0.1', 6, 80, 'open', 0x12, 64, 100), // the same record from a second file
    status('10.0.0.1', 6, 443, 'open', 0x12, 64, 101),
    status('10.0.0.2', 6, 22, 'open', 0x12, 63, 102),
    status('10.0.0.2', 6, 22, 'closed', 0x14, 63, 110), // later: closed now
    banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.1 200 OK\r\n', 64, 103),
    banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.1 200 OK\r\n', 64, 103),
    banner('10.0.0.1', 6, 443, 'ssl', 'TLS/1.3 cipher:0x1301, example.org', 64, 104),
    banner('10.0.0.1', 6, 443, 'ssl', 'TLS/1.3 cipher:0x1301, example.org', 64, 104),
    status('10.0.0.3', 0, 0, 'up', 0, 0, 105, '02:00:00:00:00:03'),
  ];
  for (const r of rs) c.add(r);
  const d = c.data(META, NOW_MS, builtinServiceNames());
  assert.equal(d.counts.records, rs.length);
  assert.equal(d.counts.open, 2);
  assert.equal(d.counts.closed, 1);
  assert.equal(d.counts.up, 3);
  assert.equal(d.ports.size, 3);
  const host = (ip: string): HostEntry => [...d.hosts.values()].find((x) => x.ip === ip)!;
  assert.equal(host('10.0.0.2').open, 0);
  assert.deepEqual(host('10.0.0.1').openPorts, ['80/tcp', '443/tcp']);
  assert.equal(host('10.0.0.3').mac, '02:00:00:00:00:03');
  assert.equal(host('10.0.0.3').ipKey, ipSortKey({ version: 4, v4: 0x0a000003 }));
  assert.equal(d.banners.length, 2, 'a banner read twice is listed once');
  assert.deepEqual([...d.tlsVersions], [['TLS/1.3', 1]]);
  assert.equal([...d.ports.values()].find((p) => p.port === 443)!.detected, 'ssl');
  assert.equal([...d.discoveries.values()].reduce((a, b) => a + b, 0), 3, 'three open ports were discovered');
  assert.equal(d.firstSeen, 100);
  assert.equal(d.lastSeen, 110);
});

test('tlsVersionOf and expiryBin', () => {
  assert.equal(tlsVersionOf('TLS/1.2 cipher:0xc02f, a'), 'TLS/1.2');
  assert.equal(tlsVersionOf('SSLv3 cipher:0x5'), 'SSLv3');
  assert.equal(tlsVersionOf('SSLver[3,9] cipher:0x0'), 'SSLver[3,9]');
  assert.equal(tlsVersionOf('ALERT(0x0270)'), undefined);
  const day = 86_400_000;
  assert.deepEqual([-1, 10, 60, 200, 400].map((n) => expiryBin(NOW_MS + n * day, NOW_MS)), [0, 1, 2, 3, 4]);
});

test('page: summary, the four kinds of chart as inline SVG, hosts/ports/banners tables, sortable with filter boxes', () => {
  const dir = tmpDir('report-certs');
  try {
    const leaf = cert(dir, 'www.example.org', 20);
    const records: ScanRecord[] = [
      ...SAMPLE,
      status('10.0.0.4', 6, 443, 'open', 0x12, 51, 1700000011),
      banner('10.0.0.4', 6, 443, 'ssl', 'TLS/1.2 cipher:0xc02f, www.example.org', 51, 1700000011),
      banner('10.0.0.4', 6, 443, 'X509', leaf.toString('base64'), 51, 1700000011),
    ];
    const html = reportOf(records);
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    for (const caption of ['Open ports by service', 'Hosts by number of open ports', 'Discoveries over time', 'TLS versions', 'Certificate expiry']) {
      assert.match(html, new RegExp(`<figcaption>${caption}</figcaption><svg `), `${caption} is drawn`);
    }
    assert.equal((html.match(/<svg /g) ?? []).length, 5);
    for (const id of ['hosts-table', 'ports-table', 'banners-table', 'certs-table']) {
      assert.match(html, new RegExp(`<input type="search"[^>]* data-filter="${id}">`));
      assert.match(html, new RegExp(`<table id="${id}" data-sortable>`));
    }
    // The certificate: subject, days left (openssl's -days 20 from now; the report's clock is the test's).
    const x = new X509Certificate(leaf);
    const daysLeft = Math.floor((Date.parse(x.validTo) - NOW_MS) / 86_400_000);
    assert.match(html, new RegExp(`<td>www\\.example\\.org</td><td>www\\.example\\.org <span class="note">\\(self-signed\\)</span></td>`));
    assert.match(html, new RegExp(`<td class="n">${daysLeft}</td>`));
    assert.match(html, /<td>10\.0\.0\.4:443\/tcp<\/td>/);
    assert.ok(html.includes(x.fingerprint256));
    // Every host of the sample, IPv6 included, sorted IPv4 first.
    const hosts = [...html.matchAll(/<tr><td data-k="([46][0-9a-f]+)">([^<]+)<\/td><td class="n">/g)].map((m) => m[2]);
    assert.equal(hosts[0], '10.0.0.1');
    assert.ok(hosts.includes('2001:db8::1'));
    // Summary cards.
    assert.match(html, /<div class="card"><b>2<\/b><span>certificates<\/span><\/div>/);
    assert.match(html, /<dt>Command line<\/dt><dd>tidescan -p22-23,80,443/);
  } finally {
    rmDir(dir);
  }
});

test('page: the CSP allows exactly the one style and the one script, by their SHA-256', () => {
  const html = reportOf(SAMPLE);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp !== undefined);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(styles.length, 1);
  assert.equal(scripts.length, 1);
  const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  assert.equal(csp, `default-src 'none'; style-src ${hash(styles[0]!)}; script-src ${hash(scripts[0]!)}; img-src 'none'; base-uri 'none'; form-action 'none'`);
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style>'), 'the policy comes before the style');
  // Nothing the CSP would have to allow besides them, and nothing that loads anything.
  assertInertTags(html);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/)/, 'no URL but the SVG namespaces');
  assert.doesNotMatch(html, /echarts|zrender/i, 'no chart library code in the page');
  for (const t of tagNames(html)) assert.ok(ALLOWED_TAGS.has(t), `unexpected tag <${t}>`);
});

test('hostile input stays text: banners, service names, certificate fields', () => {
  const dir = tmpDir('report-hostile');
  try {
    const evil = '</script><img src=x onerror=alert(1)><script>alert(2)</script>';
    const evilCert = cert(dir, '</td><img src=x onerror=alert(3)>', 30, 'DNS:a.example,email:"><svg onload=alert(4)>');
    const records: ScanRecord[] = [
      status('10.9.9.9', 6, 80, 'open', 0x12, 64, 1700000000),
      banner('10.9.9.9', 6, 80, 'http', `HTTP/1.1 200 OK\r\nServer: ${evil}\r\n\x00\x1b[31m`, 64, 1700000001),
      banner('10.9.9.9', 6, 80, `<svg onload=alert(5)>${evil}`, evil, 64, 1700000001),
      banner('10.9.9.9', 6, 80, 'title', `<style>*{display:none}</style>${evil}`, 64, 1700000001),
      banner('10.9.9.9', 6, 443, 'ssl', `TLS/1.2 cipher:0x1301, ${evil}`, 64, 1700000002),
      banner('10.9.9.9', 6, 443, 'X509', evilCert.toString('base64'), 64, 1700000002),
      banner('10.9.9.9', 6, 444, 'X509', `${evil}AAAA`, 64, 1700000002), // not a certificate
    ];
    const html = reportOf(records);
    assert.equal((html.match(/<script>/g) ?? []).length, 1, 'one script element, ours');
    assert.equal((html.match(/<\/script>/g) ?? []).length, 1);
    assert.equal((html.match(/<style>/g) ?? []).length, 1);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /<svg onload/i);
    assertInertTags(html);
    for (const t of tagNames(html)) assert.ok(ALLOWED_TAGS.has(t), `unexpected tag <${t}>`);
    assert.doesNotMatch(html, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/, 'no raw control characters');
    // The banner is shown, escaped twice over: masscan's \xNN, then HTML.
    assert.ok(html.includes('Server: \\x3c/script\\x3e\\x3cimg src=x onerror=alert(1)\\x3e'));
    // The service name (chart label and table cell) and the certificate's CN as text.
    assert.ok(html.includes('&lt;svg onload=alert(5)&gt;'), 'service name escaped in the table');
    // node's X509Certificate quotes <, > in names with a backslash (RFC 4514); we escape the rest.
    assert.ok(html.includes('\\&lt;img src=x onerror=alert(3)\\&gt;'), 'certificate subject escaped');
    assert.ok(html.includes('email:&gt;&lt;svg onload=alert(4)&gt;'), 'certificate names escaped');
    assert.match(html, /unparsable/, 'a banner that is no certificate is reported as such');
  } finally {
    rmDir(dir);
  }
});

test('h() escapes both contexts; cspSafeSvg turns style attributes into presentation attributes and drops <style>', () => {
  assert.equal(h(`<a href="x" title='y'>&\u0000`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;\\x00');
  const svg = '<svg><text style="font-size:12px;font-family:sans-serif;behavior:url(x);" fill="#000">a</text>' +
    '<style ><![CDATA[.zr0-cls-1:hover{cursor:pointer}]]></style></svg>';
  assert.equal(cspSafeSvg(svg), '<svg><text font-size="12px" font-family="sans-serif" fill="#000">a</text></svg>');
});

test('bounded: tables stop at LIMITS.rows, the rest is counted and said', () => {
  const records: ScanRecord[] = [];
  const n = LIMITS.rows + 250;
  for (let i = 0; i < n; i++) {
    records.push({ kind: 'status', timestamp: 1700000000 + (i % 600), ip: { version: 4, v4: 0x0b000000 + i }, ipProto: 6, port: 80 + (i % 3), status: 'open', reason: 0x12, ttl: 64 });
  }
  const html = reportOf(records);
  const rows = (id: string): number => {
    const t = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(html)![0];
    return (t.match(/<tr>/g) ?? []).length - 1;
  };
  assert.equal(rows('hosts-table'), LIMITS.rows);
  assert.equal(rows('ports-table'), LIMITS.rows);
  assert.match(html, /250 more hosts not listed \(the totals and charts count them\)/);
  assert.match(html, new RegExp(`<div class="card"><b>${n}</b><span>open ports</span>`));
});

test('an empty scan is a complete page that says so; the same records give the same bytes', () => {
  const empty = reportOf([]);
  assert.match(empty, /<\/html>\n$/);
  assert.match(empty, /No hosts\./);
  assert.match(empty, /No open ports\./);
  assert.equal(reportOf(SAMPLE), reportOf(SAMPLE));
});

test('--append-output onto an existing report is refused, naming the file; onto an empty file it writes one', () => {
  const dir = tmpDir('report-append');
  try {
    const file = path.join(dir, 'r.html');
    fs.writeFileSync(file, '');
    const set = OutputSet.open(options({ outputs: [{ format: 'report', filename: file }], append: true }), META, testIo());
    set.write(SAMPLE[0]!);
    set.closeAll();
    assert.match(fs.readFileSync(file, 'utf8'), /^<!DOCTYPE html>/);
    assert.throws(
      () => OutputSet.open(options({ outputs: [{ format: 'report', filename: file }], append: true }), META, testIo()),
      (e: Error) => e.message.startsWith(`${file}: cannot append report output: an HTML report cannot be continued`),
    );
  } finally {
    rmDir(dir);
  }
});

test('renderReport is what the format writes (the collector and the page fit together)', () => {
  const c = new ReportCollector();
  for (const r of SAMPLE) c.add(r);
  assert.equal(renderReport(c.data(META, NOW_MS, builtinServiceNames())), reportOf(SAMPLE));
});

test('a service record (identification) reaches the page through OutputSet: the port is labelled with the identified service', () => {
  const ip = v4('10.0.0.9');
  const svc: ScanRecord = { kind: 'service', timestamp: 101, ip, ipProto: 6, port: 8443, ttl: 0, service: 'redis', handshakes: 2 };
  const without = reportOf([status('10.0.0.9', 6, 8443, 'open', 0x12, 64, 100)]);
  const withSvc = reportOf([status('10.0.0.9', 6, 8443, 'open', 0x12, 64, 100), svc]);
  assert.ok(!without.includes('>redis<'), 'the port has no service name without identification');
  assert.ok(withSvc.includes('>redis<'), 'the identified service names the port');
});
