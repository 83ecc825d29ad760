import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memcachedModule, MEMCACHED_LIMITS } from '../../src/banners/memcached.js';
import { redisModule, REDIS_LIMITS } from '../../src/banners/redis.js';
import { assertSplitInvariant, bannerVector, latin1, runModule, T4, text } from './helpers.js';
import { assertBounded, fuzzModule } from './fuzz.js';

const memcached = memcachedModule();
const redis = redisModule();

test('memcached: real memcached 1.6.18 stats -> key=value pairs, close at END', () => {
  const { sent, received } = bannerVector('memcached-stats.txt');
  assert.equal(text(sent), 'stats\r\n');
  assert.equal(text(memcached.hello(T4)!), 'stats\r\n');
  const r = runModule(memcached, [received]);
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.app, 'memcached');
  // the expected text, made here from the vector's lines by a regex of the test's own
  const want = text(received).split('\r\n').filter((l) => l.startsWith('STAT ')).map((l) => l.slice(5).replace(' ', '=')).join(' ');
  assert.equal(r.items[0]!.text, want);
  assert.match(r.items[0]!.text, /^pid=\d+ uptime=\d+ time=\d+ version=1\.6\.18 libevent=/);
  assert.equal(r.closes, 1);
  assertSplitInvariant(memcached, received, 100);
});

test('memcached: errors kept as they are, line and count caps', () => {
  assert.deepEqual(runModule(memcached, [latin1('ERROR\r\n')]).items, [{ app: 'memcached', text: 'ERROR' }]);
  const many = runModule(memcached, [latin1('STAT a 1\r\n'.repeat(MEMCACHED_LIMITS.lines + 5))]);
  assert.equal(many.closes, 1);
  assert.equal(many.items[0]!.text.split(' ').length, MEMCACHED_LIMITS.lines);
  const long = runModule(memcached, [latin1(`STAT k ${'v'.repeat(2000)}\r\nEND\r\n`)]);
  assert.equal(long.items[0]!.text.length, MEMCACHED_LIMITS.line - 'STAT '.length); // 512 bytes kept, 'STAT k ' became 'k='
});

test('redis: real redis-server 7.0.15 INFO -> the Server section as key=value, close after the bulk string', () => {
  const { sent, received } = bannerVector('redis-info.txt');
  assert.equal(text(sent), '*1\r\n$4\r\ninfo\r\n');
  assert.deepEqual(redis.hello(T4), sent);
  const r = runModule(redis, [received]);
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.app, 'redis');
  const body = text(received);
  const server = body.slice(body.indexOf('# Server\r\n') + 10, body.indexOf('\r\n\r\n'));
  const want = server.split('\r\n').map((l) => l.replace(':', '=')).join(' ');
  assert.equal(r.items[0]!.text, want);
  assert.match(r.items[0]!.text, /^redis_version=7\.0\.15 /);
  assert.equal(r.closes, 1);
  assertSplitInvariant(redis, received, 100);
});

test('redis: error replies kept, odd bulk lengths, caps', () => {
  const e = runModule(redis, [latin1('-NOAUTH Authentication required.\r\n')]);
  assert.deepEqual([e.items, e.closes], [[{ app: 'redis', text: '-NOAUTH Authentication required.' }], 1]);
  assert.equal(runModule(redis, [latin1('$0\r\n\r\n')]).closes, 1);
  const many = runModule(redis, [latin1(`$99999999\r\n# Server\r\n${'k:v\r\n'.repeat(REDIS_LIMITS.lines + 5)}`)]);
  assert.equal(many.closes, 1);
  assert.ok(many.items[0]!.text.split(' ').length < REDIS_LIMITS.lines);
});

test('memcached/redis fuzz: no throw, in bounds, bounded', () => {
  fuzzModule(memcached, bannerVector('memcached-stats.txt').received, latin1('STAT pid 1\r\n'), (items, conv) => {
    assertBounded(items, ['memcached'], MEMCACHED_LIMITS.lines * (MEMCACHED_LIMITS.line + 1));
    assert.ok(conv.closes <= 1);
  });
  fuzzModule(redis, bannerVector('redis-info.txt').received, latin1('$100\r\n# Server\r\n'), (items, conv) => {
    assertBounded(items, ['redis'], REDIS_LIMITS.lines * (REDIS_LIMITS.line + 1));
    assert.ok(conv.closes <= 1);
  });
});
