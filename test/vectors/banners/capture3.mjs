#!/usr/bin/env node
// Regenerate a Banners II vector (run by hand; see the note of each vector file): connects to a
// real server on 127.0.0.1:<port> (loopback only, LAB.md), sends the module's hello (built by
// dist/src/banners/<module>.js), lets the module drive the conversation (what it sends goes to
// the socket), and records every byte the server sent, until the server or the module closes
// or 3 s pass. Usage: node capture3.mjs <registry module name> <port> <hello port> <out file> <comment...>
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { buildBanners, defaultBannerConfig } from '../../../dist/src/banners/registry.js';
import { BannerCollector } from '../../../dist/src/banners/session.js';

const [name, port, helloPort, file, ...comment] = process.argv.slice(2);
const cfg = { ...defaultBannerConfig('0.1.0'), hello: process.env.HELLO || undefined, randomBytes: (n) => new Uint8Array(n).fill(0x5a) };
const b = buildBanners(cfg);
const m = b.module(name);
const t = { ip: '127.0.0.1', port: Number(helloPort), name: undefined };
const sent = [];
const received = [];
const s = net.connect({ host: '127.0.0.1', port: Number(port) });
const out = new BannerCollector();
let closed = false;
const conv = { send: (x) => { sent.push(Buffer.from(x)); s.write(x); }, close: () => { closed = true; s.end(); } };
const p = m.open(t, out, conv);
const timer = setTimeout(() => s.destroy(), 3000);
s.on('connect', () => { const h = m.hello(t); if (h) conv.send(h); });
s.on('data', (d) => { received.push(Buffer.from(d)); if (!closed) p.data(d, 0, d.length); });
s.on('close', () => {
  clearTimeout(timer);
  p.end();
  const hex = (b) => b.toString('hex').match(/.{1,64}/g)?.join('\n') ?? '';
  writeFileSync(file, comment.map((c) => `# ${c}\n`).join('') + `sent:\n${hex(Buffer.concat(sent))}\nreceived:\n${hex(Buffer.concat(received))}\n`);
  for (const i of out.items()) console.log(i.app, JSON.stringify(Buffer.from(i.bytes).toString('latin1')), i.fields ?? '');
});
s.on('error', (e) => console.error(e.message));
