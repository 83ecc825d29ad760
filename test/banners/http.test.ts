import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HTTP_LIMITS, HttpRequest, httpModule } from '../../src/banners/http.js';
import { BANNER_CAPS } from '../../src/banners/caps.js';
import { assertSplitInvariant, bannerVector, latin1, runGuarded, runModule, RUNS, T4, text } from './helpers.js';

const V = '0.1.0';
const plain = httpModule({}, V, false);
const withHtml = httpModule({}, V, true);

// --- the request ---

test('http request: the default (masscan 1.3 shape, our product in User-Agent)', () => {
  assert.equal(
    text(new HttpRequest({}, V).render(T4)),
    'GET / HTTP/1.0\r\nUser-Agent: tidescan/0.1.0\r\nAccept: */*\r\n\r\n',
  );
  // what the real nginx vector was captured with
  assert.equal(text(new HttpRequest({}, V).render(T4)), text(bannerVector('nginx-response.txt').sent));
});

test('http request: every --http-* edit (§9.5)', () => {
  const r = new HttpRequest({
    method: 'POST',
    url: '/login?x=1',
    version: 'HTTP/1.1',
    userAgent: 'Mozilla/5.0',
    host: 'example.com',
    headers: [['accept', 'text/html'], ['X-Scan', 'yes']],
    cookies: ['a=1', 'b=2'],
    payload: 'k=v&z=\u00e9',
  }, V);
  assert.equal(
    text(r.render(T4)),
    'POST /login?x=1 HTTP/1.1\r\n' +
      'User-Agent: Mozilla/5.0\r\n' +
      'accept: text/html\r\n' + // replaced in place, under the name as the user wrote it
      'Host: example.com\r\n' + // added at the end of the fields, as other new fields
      'X-Scan: yes\r\n' +
      'Cookie: a=1\r\n' +
      'Cookie: b=2\r\n' +
      'Content-Length: 7\r\n' +
      '\r\n' +
      'k=v&z=\u00e9',
  );
  // a --http-header naming Host replaces the --http-host value; removal drops fields
  const r2 = new HttpRequest({ host: 'a', headers: [['HOST', 'b']], removeHeaders: ['accept', 'user-agent'] }, V);
  assert.equal(text(r2.render(T4)), 'GET / HTTP/1.0\r\nHOST: b\r\n\r\n');
  // an empty payload still says Content-Length: 0
  assert.equal(text(new HttpRequest({ payload: '' }, V).render(T4)).endsWith('Content-Length: 0\r\n\r\n'), true);
});

test('http request: {ip} {port} {name} per target; IPv6 in brackets', () => {
  const r = new HttpRequest({ host: '{ip}:{port}', url: '/?t={name}' }, V);
  assert.equal(text(r.render({ ip: '10.1.2.3', port: 8080, name: undefined })),
    'GET /?t=10.1.2.3 HTTP/1.0\r\nUser-Agent: tidescan/0.1.0\r\nAccept: */*\r\nHost: 10.1.2.3:8080\r\n\r\n');
  assert.equal(text(r.render({ ip: '2001:db8::1', port: 80, name: 'www.example' })),
    'GET /?t=www.example HTTP/1.0\r\nUser-Agent: tidescan/0.1.0\r\nAccept: */*\r\nHost: [2001:db8::1]:80\r\n\r\n');
  // the payload is not templated: its Content-Length holds for every target
  assert.equal(text(new HttpRequest({ host: '{ip}', payload: '{ip}' }, V).render({ ip: '10.9.9.9', port: 80, name: undefined })),
    'GET / HTTP/1.0\r\nUser-Agent: tidescan/0.1.0\r\nAccept: */*\r\nHost: 10.9.9.9\r\nContent-Length: 4\r\n\r\n{ip}');
  // a request without placeholders is the same bytes for every target
  const fixed = new HttpRequest({ host: 'static' }, V);
  assert.equal(text(fixed.render({ ip: '10.0.0.1', port: 1, name: undefined })), text(fixed.render({ ip: '10.0.0.2', port: 2, name: 'x' })));
  assert.equal(httpModule({ host: '{ip}' }, V, false).hello({ ip: '198.51.100.9', port: 80, name: undefined }) !== null, true);
});

// --- the response ---

test('http response: real nginx (exact http, http.server, title; closes after the title)', () => {
  const { received } = bannerVector('nginx-response.txt');
  const all = text(received);
  const headEnd = all.indexOf('\r\n\r\n') + 4;
  const r = runModule(plain, [received]);
  assert.deepEqual(r.items.map((i) => i.app), ['http', 'http.server', 'title']);
  assert.equal(r.items[0]!.text, all.slice(0, headEnd));
  assert.match(r.items[0]!.text, /^HTTP\/1\.1 200 OK\r\nServer: nginx\/1\.22\.1\r\nDate: [^\r]+ GMT\r\nContent-Type: text\/html\r\nContent-Length: 615\r\n/);
  assert.equal(r.items[0]!.text.endsWith('Accept-Ranges: bytes\r\n\r\n'), true);
  assert.equal(r.items[1]!.text, 'nginx/1.22.1');
  assert.equal(r.items[2]!.text, 'Welcome to nginx!');
  assert.equal(r.closes, 1);
  assert.equal(r.sent, '');

  const h = runModule(withHtml, [received]);
  assert.deepEqual(h.items.map((i) => i.app), ['http', 'http.server', 'html', 'title']);
  const html = h.items.find((i) => i.app === 'html')!.text;
  assert.equal(html, all.slice(headEnd));
  assert.equal(html.length, 615);
  assert.equal(html.startsWith('<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>'), true);
  assert.equal(h.closes, 1); // at the body's end (Content-Length: 615)
});

test('http response: we close at the end of the body, or at once when there is none', () => {
  const run = (s: string, m = withHtml) => runModule(m, [latin1(s)]);
  // Content-Length reached: closed, later bytes (a pipelined or stray response) ignored
  const cl = run('HTTP/1.1 200 OK\r\nContent-Length:  5 \r\n\r\nhelloHTTP/1.1 200 OK');
  assert.deepEqual(cl.items.map((i) => [i.app, i.text]), [['http', 'HTTP/1.1 200 OK\r\nContent-Length:  5 \r\n\r\n'], ['html', 'hello']]);
  assert.equal(cl.closes, 1);
  // the body is not complete: the server ends it
  assert.equal(run('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello').closes, 0);
  // no body: HEAD, 1xx, 204, 304, Content-Length: 0
  for (const st of ['101 Switching Protocols', '204 No Content', '304 Not Modified']) {
    assert.equal(run(`HTTP/1.1 ${st}\r\n\r\n`).closes, 1, st);
  }
  assert.equal(run('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n').closes, 1);
  assert.equal(run('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n').closes, 0);
  assert.equal(runModule(httpModule({ method: 'head' }, V, true), [latin1('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')]).closes, 1);
  // unusable lengths: malformed, two that differ, or a Transfer-Encoding: wait for the server
  for (const f of ['Content-Length: 1x', 'Content-Length: 1 2', 'Content-Length: 3\r\nContent-Length: 4', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'Content-Length: ']) {
    const r = run(`HTTP/1.1 200 OK\r\n${f}\r\n\r\nabc`);
    assert.equal(r.closes, 0, f);
    assert.equal(r.items.find((i) => i.app === 'html')!.text, 'abc', f);
  }
  // two equal lengths are one
  assert.equal(run('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc').closes, 1);
  // a status line that is not `HTTP/x y NNN`: no status, the body is read
  assert.equal(run('HTTP/1.1 2\r\n\r\nabc').closes, 0);
});

test('http response: real nginx whole, byte by byte, at random split points', () => {
  const { received } = bannerVector('nginx-response.txt');
  assertSplitInvariant(plain, received);
  assertSplitInvariant(withHtml, received);
});

test('http response: title, Server and header edge cases', () => {
  const run = (s: string, m = plain) => runModule(m, [latin1(s)]);
  const get = (s: string, app: string, m = plain) => run(s, m).items.find((i) => i.app === app)?.text;
  // LF-only header; Server value trimmed of spaces around it, not inside it
  assert.equal(get('HTTP/1.0 200 OK\nserver: \t Apache  2 \t\n\n<TITLE>x</TITLE>', 'http.server'), 'Apache  2');
  assert.equal(get('HTTP/1.0 200 OK\nserver: \t Apache  2 \t\n\n', 'http'), 'HTTP/1.0 200 OK\nserver: \t Apache  2 \t\n\n');
  // only the first Server field; `X-Server:` and `Server-Timing:` are not Server
  assert.equal(get('HTTP/1.1 200 OK\r\nX-Server: no\r\nServer-Timing: no\r\nServer: yes\r\nServer: second\r\n\r\n', 'http.server'), 'yes');
  // empty Server value gives no banner
  assert.equal(get('HTTP/1.1 200 OK\r\nServer:   \r\n\r\n', 'http.server'), undefined);
  // title: attributes, case, `<titles>` is not it, text to the next `<` even without `</title>`
  assert.equal(get('HTTP/1.1 200 OK\r\n\r\n<html><titles>no</titles><TiTlE lang="en">Hello &amp; bye\n</tItle>', 'title'), 'Hello &amp; bye\n');
  assert.equal(get('HTTP/1.1 200 OK\r\n\r\n<<title>a<b', 'title'), 'a');
  assert.equal(get('HTTP/1.1 200 OK\r\n\r\n<title/>t<', 'title'), 't');
  assert.equal(get('HTTP/1.1 200 OK\r\n\r\n<title>no end', 'title'), 'no end');
  // a title in the header is not a title
  assert.equal(get('HTTP/1.1 200 OK\r\nX: <title>x<\r\n\r\nbody', 'title'), undefined);
  // no body: only http
  assert.deepEqual(run('HTTP/1.1 304 Not Modified\r\n\r\n').items.map((i) => i.app), ['http']);
  // an unfinished header is kept as it came
  assert.equal(get('HTTP/1.1 200 OK\r\nServ', 'http'), 'HTTP/1.1 200 OK\r\nServ');
  // a title longer than the cap is cut at the cap
  assert.equal(get(`HTTP/1.1 200 OK\r\n\r\n<title>${'t'.repeat(5000)}</title>`, 'title')!.length, HTTP_LIMITS.title);
});

test('http response: caps (header, body scan, html) close the connection', () => {
  const longHeader = 'HTTP/1.1 200 OK\r\n' + 'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(400);
  const r = runModule(plain, [latin1(longHeader)]);
  assert.equal(r.items[0]!.text.length, HTTP_LIMITS.header);
  assert.equal(r.items[0]!.text, longHeader.slice(0, HTTP_LIMITS.header));
  assert.equal(r.closes, 1);

  const body = 'HTTP/1.1 200 OK\r\n\r\n' + 'x'.repeat(HTTP_LIMITS.bodyScan + 100) + '<title>late</title>';
  const b = runModule(plain, [latin1(body)]);
  assert.deepEqual(b.items.map((i) => i.app), ['http']);
  assert.equal(b.closes, 1);
  const h = runModule(withHtml, [latin1(body)]);
  assert.equal(h.items.find((i) => i.app === 'html')!.text.length, HTTP_LIMITS.html);
  assert.equal(h.closes, 1);
});

test('http response: not HTTP -> unknown (capped), then close', () => {
  const r = runModule(plain, [latin1('SSH-2.0-x\r\n')]);
  assert.deepEqual(r.items, [{ app: 'unknown', text: 'SSH-2.0-x\r\n' }]);
  assert.equal(r.closes, 0);
  const big = runModule(plain, [new Uint8Array(10000).fill(0x41)]);
  assert.equal(big.items[0]!.text.length, BANNER_CAPS.unknown);
  assert.equal(big.closes, 1);
  // a short prefix that could have been HTTP, then the end
  assert.deepEqual(runModule(plain, [latin1('HTT')]).items, [{ app: 'unknown', text: 'HTT' }]);
  assert.deepEqual(runModule(plain, [latin1('http/1.0 200 OK\r\n\r\n')]).items, [{ app: 'http', text: 'http/1.0 200 OK\r\n\r\n' }]);
});

/** Generated responses: random fields, Server values, titles in random places and cases. */
const response = fc
  .record({
    status: fc.constantFrom('HTTP/1.0 200 OK', 'HTTP/1.1 404 Not Found', 'http/1.1 301 Moved'),
    eol: fc.constantFrom('\r\n', '\n'),
    fields: fc.array(fc.oneof(
      fc.tuple(fc.constantFrom('Server', 'server', 'X-Server', 'Date', 'Set-Cookie', 'S', 'Content-Length', 'Transfer-Encoding'), fc.string({ maxLength: 30 })),
      fc.tuple(fc.constantFrom('Content-Length', 'content-length'), fc.nat(120).map(String)),
    ), { maxLength: 6 }),
    pre: fc.string({ maxLength: 40 }),
    tag: fc.constantFrom('<title>', '<TITLE>', '<title id=a>', '<titl>', '<title\n>'),
    title: fc.string({ maxLength: 40 }),
    post: fc.string({ maxLength: 40 }),
  })
  .map((r) => latin1(
    r.status + r.eol + r.fields.map(([n, v]) => `${n}: ${v.replace(/[\r\n]/g, '')}${r.eol}`).join('') + r.eol +
      r.pre + r.tag + r.title + '</title>' + r.post,
  ));

test('http response: generated responses are split-invariant (html on and off)', () => {
  fc.assert(
    fc.property(response, fc.boolean(), (bytes, html) => {
      assertSplitInvariant(html ? withHtml : plain, bytes, 5);
    }),
    { numRuns: RUNS },
  );
});

test('http response fuzz: random and mutated bytes never throw, stay in bounds, bounded output', () => {
  const { received } = bannerVector('nginx-response.txt');
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.tuple(fc.nat(received.length), fc.array(fc.tuple(fc.nat(received.length - 1), fc.nat(255)), { maxLength: 8 }))
      .map(([cut, muts]) => {
        const b = received.slice(0, cut);
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        return b;
      }),
  );
  fc.assert(
    fc.property(input, fc.array(fc.nat(700), { maxLength: 8 }), fc.boolean(), (bytes, points, html) => {
      const cuts = [...new Set(points.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
      const chunks: Uint8Array[] = [];
      let prev = 0;
      for (const c of cuts) { chunks.push(bytes.slice(prev, c)); prev = c; }
      chunks.push(bytes.slice(prev));
      const { items } = runGuarded(html ? withHtml : plain, chunks);
      // http, html and unknown are disjoint slices of the input; title and Server lie inside them
      let total = 0;
      for (const i of items) {
        assert.ok(i.bytes.length <= Math.min(bytes.length, BANNER_CAPS.perApp), `${i.app} too long`);
        if (i.app !== 'title' && i.app !== 'http.server') total += i.bytes.length;
      }
      assert.ok(total <= bytes.length, 'banners hold more bytes than came');
    }),
    { numRuns: RUNS * 3 },
  );
});
