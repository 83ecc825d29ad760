/**
 * The HTML report end to end: a real scan of the namespace lab with --banners (nginx with
 * TLS 1.2 and 1.3 certificates, OpenSSH, and plain listeners that send a greeting) writes
 * -oB, -oD and -oW; `--report` turns the binary and NDJSON files into a second page. Then
 * Debian's headless Chromium, driven by playwright-core, renders the page and the test
 * asserts:
 * - the only request is the file itself (no network), and no console error or page error;
 * - the CSP holds: the page's own style and script run (allowed by their hashes), while a
 *   script, a style and an image injected afterwards are refused (securitypolicyviolation);
 * - the five charts are drawn, and sorting and the filter boxes work;
 * and it takes a screenshot (TIDESCAN_REPORT_SCREENSHOT=path also saves the top of the page
 * there: docs/report.png comes from this test).
 * Needs root (the lab) and Chromium (scripts/setup.sh installs `chromium`): fails, never skips.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLab, requireRoot, type Lab } from './lab.js';
import { startNginx, startSshd, type NginxServer, type SshdServer } from './servers.js';
import { TIDESCAN_BIN, describeRun, linkArgs, runTidescan } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Plain listeners that greet: more hosts and services for the charts than the two servers. */
const GREETERS = [
  ...Array.from({ length: 12 }, (_, i) => ({ host: `198.18.2.${10 + i}`, port: 21, banner: `220 (vsFTPd 3.0.3) node ${i}\r\n` })),
  ...Array.from({ length: 8 }, (_, i) => ({ host: `198.18.2.${10 + i}`, port: 25, banner: `220 mx${i}.lab.example ESMTP OpenSMTPD\r\n` })),
  ...Array.from({ length: 5 }, (_, i) => ({ host: `198.18.2.${30 + i}`, port: 6379 })),
  // one-digit last octets, so that text order and address order of the hosts differ
  ...Array.from({ length: 3 }, (_, i) => ({ host: `198.18.2.${7 + i}`, port: 8080 })),
];

let lab: Lab;
let nginx: NginxServer;
let sshd: SshdServer;
let dir: string;
let browser: Browser | undefined;

before(async () => {
  requireRoot();
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium package`);
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-report-'));
  lab = await createLab({ prefix: `hr${process.pid}`.slice(0, 9), ipv6: false });
  [nginx, sshd] = await Promise.all([startNginx(lab, { dir, lifetimeMs: 300_000 }), startSshd(lab, { dir, lifetimeMs: 300_000 })]);
  await lab.startServices({ tcp: GREETERS, lifetimeMs: 300_000 });
});

after(async () => {
  await browser?.close();
  await nginx?.stop();
  await sshd?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function runNode(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TIDESCAN_BIN, ...args], { timeout: 60_000 }, (err, _out, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stderr });
    });
  });
}

function card(html: string, what: string): number {
  const m = new RegExp(`<div class="card"><b>(\\d+)</b><span>${what}</span>`).exec(html);
  assert.ok(m !== null, `card ${what}`);
  return Number(m[1]);
}

/** Runs an expression in the page (text: this project compiles without the DOM's types). */
async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/** The texts of one column of a table's visible rows. */
function column(page: Page, table: string, col: number): Promise<string[]> {
  return inPage(page, `Array.from(document.querySelectorAll('#${table} tbody tr:not([hidden])'), (r) => r.cells[${col}].textContent)`);
}

let livePage = '';
let filesPage = '';

test('a lab scan with --banners writes -oW while scanning; --report turns its -oB and -oD files into the same page', async () => {
  const bin = path.join(dir, 'scan.bin');
  const nd = path.join(dir, 'scan.ndjson');
  livePage = path.join(dir, 'live.html');
  const r = await runTidescan(lab, [
    ...linkArgs(lab), '--banners', '--range', '198.18.1.0/24', '--range', '198.18.2.0/26',
    '-p', `21,22,25,80,443,${sshd.ports[1]},${nginx.http.ports[1]},${nginx.tls13.ports[1]},6379,8080`,
    // A slow rate (3,200 probes in about 13 s) spreads the discoveries over time.
    '--rate', '250', '--wait', '4', '--seed', '11', '-oB', bin, '-oD', nd, '-oW', livePage,
  ], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(r.code, 0, describeRun(r));
  filesPage = path.join(dir, 'files.html');
  const rep = await runNode(['--report', filesPage, bin, nd]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal(rep.stderr, `[+] --readscan ${bin}\n[+] --readscan ${nd}\n`);

  const live = readFileSync(livePage, 'utf8');
  const files = readFileSync(filesPage, 'utf8');
  // Every server answered: 2 nginx HTTP ports, 4 TLS, 2 SSH, the greeters.
  const open = 2 + 4 + 2 + GREETERS.length;
  for (const html of [live, files]) {
    assert.equal(card(html, 'open ports'), open, 'open ports');
    assert.equal(card(html, 'hosts up'), 5 + new Set(GREETERS.map((g) => g.host)).size);
    assert.equal(card(html, 'certificates'), 2, 'the TLS 1.2 and TLS 1.3 leaf certificates (the SNI-only server sends none)');
    assert.ok(html.includes(nginx.tls12.cert.fingerprint256) && html.includes(nginx.tls13.chain[0].fingerprint256));
    assert.ok(html.includes(sshd.ident), 'the SSH banner');
    assert.match(html, /<figcaption>TLS versions<\/figcaption><svg /);
  }
  // The two pages differ only in what a file cannot know (the scan's start and command line).
  const strip = (s: string): string => s.replace(/<dl class="meta">[\s\S]*?<\/dl>/, '').replace(/<header>[\s\S]*?<\/header>/, '');
  const a = strip(files).split('\n');
  const b = strip(live).split('\n');
  assert.deepEqual(a.filter((l, i) => l !== b[i]), b.filter((l, i) => l !== a[i]));
});

test('Chromium renders the page: no request but the file, no console error, the CSP holds, sorting and filters work', async () => {
  assert.ok(filesPage !== '', 'the scan test ran first');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const requests: string[] = [];
  const problems: string[] = [];
  const failed: string[] = [];
  const responses: string[] = [];
  page.on('request', (q) => requests.push(q.url()));
  page.on('requestfailed', (q) => failed.push(`${q.url()} ${q.failure()?.errorText ?? ''}`));
  page.on('response', (r) => responses.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const url = pathToFileURL(filesPage).href;
  await page.goto(url, { waitUntil: 'load' });

  // The style and the script, allowed by their hashes, are in effect.
  assert.equal(await inPage(page, `getComputedStyle(document.querySelector('header')).backgroundColor`), 'rgb(23, 32, 58)');
  assert.equal(await inPage(page, `Array.from(document.querySelectorAll('figure svg')).filter((x) => x.getBoundingClientRect().width > 200).length`), 5, 'five charts drawn');

  // Sorting: Open (numeric) ascending then descending, Address back in address order.
  const openTh = page.locator('#hosts-table th', { hasText: 'Open' }).first();
  await openTh.click();
  const asc = (await column(page, 'hosts-table', 1)).map(Number);
  assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
  assert.equal(await openTh.getAttribute('aria-sort'), 'ascending');
  await openTh.click();
  const desc = (await column(page, 'hosts-table', 1)).map(Number);
  assert.deepEqual(desc, [...asc].sort((a, b) => b - a));
  assert.ok(desc[0]! >= 2, 'a host with two open ports first');
  await page.locator('#ports-table th', { hasText: 'Port' }).first().click();
  const ports = (await column(page, 'ports-table', 1)).map(Number);
  assert.deepEqual(ports, [...ports].sort((a, b) => a - b), 'ports sort numerically (8080 after 443)');
  await page.locator('#hosts-table th', { hasText: 'Address' }).click();
  const addrs = await column(page, 'hosts-table', 0);
  const key = (a: string): number => a.split('.').reduce((s, o) => s * 256 + Number(o), 0);
  assert.deepEqual(addrs, [...addrs].sort((a, b) => key(a) - key(b)), 'addresses in numeric order (198.18.2.9 before 198.18.2.10)');
  assert.ok(addrs.indexOf('198.18.2.9') >= 0 && addrs.indexOf('198.18.2.9') < addrs.indexOf('198.18.2.10'), addrs.join(' '));

  // Filter boxes.
  const total = (await column(page, 'hosts-table', 0)).length;
  await page.fill('input[data-filter="hosts-table"]', nginx.tls13.ip);
  assert.deepEqual(await column(page, 'hosts-table', 0), [nginx.tls13.ip]);
  assert.equal(await page.textContent('#hosts-table-count'), `1 of ${total} shown`);
  await page.fill('input[data-filter="hosts-table"]', '');
  assert.equal((await column(page, 'hosts-table', 0)).length, total);
  await page.fill('input[data-filter="banners-table"]', 'ssh');
  const services = await column(page, 'banners-table', 3);
  assert.ok(services.length >= 2 && services.every((s) => s === 'ssh'), services.join(','));

  const shot = path.join(dir, 'report.png');
  await page.fill('input[data-filter="banners-table"]', '');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 20_000, 'a screenshot of the whole page');
  assert.deepEqual(readFileSync(shot).subarray(1, 4).toString(), 'PNG');
  const keep = process.env['TIDESCAN_REPORT_SCREENSHOT'];
  if (keep !== undefined && keep !== '') {
    await inPage(page, 'window.scrollTo(0, 0)');
    await page.screenshot({ path: keep, clip: { x: 0, y: 0, width: 1280, height: 2100 }, fullPage: true });
  }

  assert.deepEqual(problems, [], 'no console error or warning while loading, sorting and filtering');
  assert.deepEqual(requests, [url], 'the file is the only request');

  // The CSP holds against what the page did not bring: injected script, style and image.
  const refused = await inPage<{ seen: string[]; injected: unknown; display: string }>(page, `(async () => {
    const seen = [];
    document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
    const s = document.createElement('script');
    s.textContent = 'window.injected = 1;';
    document.body.append(s);
    const st = document.createElement('style');
    st.textContent = 'body { display: none }';
    document.head.append(st);
    const img = document.createElement('img');
    img.src = 'http://127.0.0.1:9/x.png';
    document.body.append(img);
    await new Promise((r) => setTimeout(r, 300));
    return { seen: seen.sort(), injected: window.injected, display: getComputedStyle(document.body).display };
  })()`);
  assert.deepEqual(refused.seen, ['img-src', 'script-src-elem', 'style-src-elem']);
  assert.equal(refused.injected, undefined, 'the injected script did not run');
  assert.equal(refused.display, 'block', 'the injected style did not apply');
  // Chromium announces the image's request, then blocks it in the page before any network.
  assert.deepEqual(requests, [url, 'http://127.0.0.1:9/x.png']);
  assert.deepEqual(failed, ['http://127.0.0.1:9/x.png csp'], 'blocked by the CSP');
  assert.deepEqual(responses, [url], 'nothing but the file was ever answered');
});
