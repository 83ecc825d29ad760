/**
 * banner-setup: the banner modules' settings come from the typed ScanConfig fields that the
 * cli builds from the options (no option names outside src/cli).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bannerConfig, bannerSetup } from '../../src/engine/banner-setup.js';
import { buildBanners } from '../../src/banners/registry.js';
import { parse } from '../cli/helpers.js';
import { text } from '../banners/helpers.js';

const BASE = ['10.0.0.1', '-p80', '--banners'];

test('bannerConfig maps the typed options the cli builds', () => {
  const cfg = parse([
    ...BASE,
    '--http-method', 'PUT', '--http-url', '/x', '--http-version', 'HTTP/1.1', '--http-host', '{ip}',
    '--http-user-agent', 'ua', '--http-header', 'X-A:1', '--http-header', 'X-B:two:colons',
    '--http-cookie', 'c=1', '--http-cookie', 'd=2', '--http-payload', 'body', '--http-field-remove', 'Accept',
    '--hello', 'http', '--hello-string[8080]', Buffer.from('hi').toString('base64'), '--hello-timeout', '0.5',
    '--tls-sni', 'example.org', '--capture', 'html', '--no-identify',
  ]);
  const c = bannerConfig(cfg, '9.9.9');
  assert.deepEqual(c.http, {
    method: 'PUT', url: '/x', version: 'HTTP/1.1', host: '{ip}', userAgent: 'ua',
    headers: [['X-A', '1'], ['X-B', 'two:colons']], removeHeaders: ['Accept'], cookies: ['c=1', 'd=2'], payload: 'body',
  });
  assert.equal(c.captureHtml, true);
  assert.equal(c.captureCert, true);
  assert.equal(c.hello, 'http');
  assert.equal(text(c.helloStrings.get(8080)!), 'hi');
  assert.equal(c.helloTimeoutMs, 500);
  assert.equal(c.tlsSni, 'example.org');
  assert.equal(c.identify, false);
  assert.equal(c.productVersion, '9.9.9');
});

test('bannerConfig defaults: 2 s hello, cert only, masscan request, identification on', () => {
  const d = bannerConfig(parse(BASE), '1');
  assert.equal(d.helloTimeoutMs, 2000);
  assert.equal(d.captureHtml, false);
  assert.equal(d.captureCert, true);
  assert.equal(d.hello, undefined);
  assert.equal(d.identify, true);
  assert.equal(text(buildBanners(d).helloFor({ ip: '10.0.0.1', port: 80, name: undefined })!.bytes),
    'GET / HTTP/1.0\r\nUser-Agent: tidescan/1\r\nAccept: */*\r\n\r\n');
});

test('bannerSetup: --connection-timeout (default 30 s) and the hello timeout reach the engine', () => {
  assert.equal(bannerSetup(parse(BASE)).connectionTimeoutMs, 30_000);
  const s = bannerSetup(parse([...BASE, '--connection-timeout', '7', '--hello-timeout', '3']));
  assert.equal(s.connectionTimeoutMs, 7000);
  assert.equal(s.helloTimeoutMs, 3000);
});
