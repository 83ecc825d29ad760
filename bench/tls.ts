/**
 * CPU per TLS handshake of the `ssl` banner module alone (issue 9's goal: >= 3 k TLS 1.3
 * certificates/s per core, i.e. <= 0.33 ms of CPU each; DESIGN.md §3 quotes a prototype at
 * 0.26-0.32 ms).
 *
 * A real server flight is recorded once from `openssl s_server` on 127.0.0.1 (ECDSA leaf +
 * intermediate; fixed scan keys and random so the module's ClientHello, and therefore the
 * transcript, is the same on replay). Then, in this process only, fresh parsers are fed that
 * flight again and again: ServerHello, ECDH, transcript hash, key schedule, AEAD decryption of
 * the protected records, Certificate parse, X509Certificate names, base64 of leaf and chain.
 * CPU is process.cpuUsage() (user + system) over the loop; a server round trip is not part of
 * it. Also: the pieces alone, and the JS heap held per connection waiting for ServerHello and
 * after it (TLS 1.3, decrypter ready).
 *
 * Run: `node dist/bench/tls.js [--quick]`; writes bench/results/tls.json.
 */
import { X509Certificate } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { TlsModule } from '../src/banners/tls.js';
import type { BannerOut, BannerParser, Conversation, TargetInfo } from '../src/banners/module.js';
import { TlsScanKeys } from '../src/codec/tls13.js';
import { TlsGroup } from '../src/codec/tls.js';
import { CertDir, grab, startSServer } from '../test/codec/tls-lab.js';
import { writeResult } from './lib/results.js';

const QUICK = process.argv.includes('--quick');
const N = QUICK ? 2000 : 10000;
const PRIV = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff);
const fixedRandom = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

let sink = 0;
const out: BannerOut = {
  append: (_a, _b, _o, len) => {
    sink += len;
  },
  appendText: (_a, t) => {
    sink += t.length;
  },
  field: () => {
    sink++;
  },
  endRecord: () => {},
};
const conv: Conversation = {
  send: () => {
    sink++;
  },
  close: () => {
    sink++;
  },
};

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

interface Case {
  readonly name: string;
  readonly args: string[];
  readonly sni: string | undefined;
}

async function main(): Promise<void> {
  const dir = new CertDir();
  const keys = TlsScanKeys.fromX25519Private(PRIV);
  const mod = new TlsModule({ captureCert: true, keys, random: fixedRandom });
  const results: Record<string, unknown> = {};
  try {
    const root = dir.ca('root', 'Bench Root', null);
    const inter = dir.ca('inter', 'Bench Intermediate', root);
    const leaf = dir.leaf('leaf', 'ec', 'bench.test', ['bench.test', 'www.bench.test'], inter);
    const rsa = dir.selfSigned('rsa', 'rsa', 'rsa.bench.test', ['rsa.bench.test']);
    const chain = dir.bundle('chain.pem', [inter]);
    const cases: Case[] = [
      { name: 'tls13_aes128gcm', args: ['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain, '-ciphersuites', 'TLS_AES_128_GCM_SHA256'], sni: 'bench.test' },
      { name: 'tls13_aes256gcm', args: ['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain, '-ciphersuites', 'TLS_AES_256_GCM_SHA384'], sni: 'bench.test' },
      { name: 'tls13_chacha20', args: ['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain, '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'], sni: 'bench.test' },
      { name: 'tls12_rsa', args: ['-tls1_2', '-cert', rsa.cert, '-key', rsa.key], sni: undefined },
    ];
    const perCase: Record<string, { cpuMsPerHandshake: number; handshakesPerSecondPerCore: number; flightBytes: number }> = {};
    for (const c of cases) {
      const s = await startSServer(c.args, 30_000);
      let flight: Uint8Array;
      let t: TargetInfo;
      try {
        const g = await grab(mod, s.port, c.sni);
        if (!g.banners.has('X509')) throw new Error(`${c.name}: no certificate in the recorded flight (${g.banners.get('ssl') ?? ''})`);
        flight = Buffer.concat(g.received);
        t = { ip: '127.0.0.1', port: s.port, name: c.sni };
      } finally {
        await s.stop();
      }
      const run = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const p = mod.open(t, out, conv);
          p.data(flight, 0, flight.length);
          p.end();
        }
      };
      run(Math.min(500, N)); // warm up
      let best = Infinity;
      for (let r = 0; r < 3; r++) best = Math.min(best, cpuMs(() => run(N)) / N);
      perCase[c.name] = { cpuMsPerHandshake: round(best, 4), handshakesPerSecondPerCore: Math.round(1000 / best), flightBytes: flight.length };
      console.log(`${c.name.padEnd(16)} ${best.toFixed(3)} ms CPU per handshake  ${(1000 / best).toFixed(0)} /s per core  (flight ${flight.length} B)`);
    }
    results.handshakes = perCase;
    results.tls13CertsPerSecondPerCore = perCase.tls13_aes128gcm.handshakesPerSecondPerCore;
    results.goal = { tls13CertsPerSecondPerCore: 3000, cpuMsPerHandshake: 0.33 };

    // The pieces alone, µs per call.
    const peer = TlsScanKeys.generate().publicKey(TlsGroup.X25519) as Uint8Array;
    const pieces: Record<string, number> = {};
    const M = QUICK ? 2000 : 10000;
    pieces.x25519SharedSecretUs = round((cpuMs(() => {
      for (let i = 0; i < M; i++) keys.sharedSecret(TlsGroup.X25519, peer);
    }) * 1000) / M, 2);
    pieces.x509NamesUs = round((cpuMs(() => {
      for (let i = 0; i < M; i++) sink += new X509Certificate(leaf.der).subject.length;
    }) * 1000) / M, 2);
    pieces.clientHelloUs = round((cpuMs(() => {
      for (let i = 0; i < M; i++) sink += mod.hello({ ip: '198.18.0.1', port: i, name: undefined }).length;
    }) * 1000) / M, 2);
    results.piecesMicroseconds = pieces;
    console.log('pieces (µs):', pieces);

    // JS heap per connection: K parsers waiting for ServerHello, then K after a TLS 1.3
    // ServerHello (keys derived, decrypter ready, waiting for the protected records).
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const K = QUICK ? 20000 : 100000;
    const heapPer = (prep: (p: BannerParser) => void): number => {
      gc();
      const h0 = process.memoryUsage().heapUsed;
      const keep: BannerParser[] = new Array(K);
      for (let i = 0; i < K; i++) {
        const p = mod.open({ ip: '198.18.0.1', port: 443, name: undefined }, out, conv);
        prep(p);
        keep[i] = p;
      }
      gc();
      const h1 = process.memoryUsage().heapUsed;
      sink += keep.length;
      return Math.round((h1 - h0) / K);
    };
    const waiting = heapPer(() => {});
    // A made-up ServerHello: its keys match no real server, but the state it leaves (keys
    // derived, decrypter built, waiting for the protected records) is the one to measure.
    const shServer = TlsScanKeys.generate().publicKey(TlsGroup.X25519) as Uint8Array;
    const sh = serverHelloRecord(shServer);
    const afterSh = heapPer((p) => p.data(sh, 0, sh.length));
    results.heapBytesPerConnection = { waitingForServerHello: waiting, afterTls13ServerHello: afterSh };
    console.log(`heap per connection: ${waiting} B waiting, ${afterSh} B after a TLS 1.3 ServerHello`);
    const file = await writeResult('tls', results);
    console.log(`wrote ${file} (sink ${sink % 10})`);
  } finally {
    dir.dispose();
  }
}

/** A TLS 1.3 ServerHello record (TLS_AES_128_GCM_SHA256, x25519 share `pub`). */
function serverHelloRecord(pub: Uint8Array): Uint8Array {
  const ext = [0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 0x1d, 0, 32, ...pub];
  const body = [3, 3, ...new Array<number>(32).fill(9), 32, ...new Array<number>(32).fill(1), 0x13, 0x01, 0, ext.length >> 8, ext.length & 0xff, ...ext];
  const msg = [2, 0, body.length >> 8, body.length & 0xff, ...body];
  return Uint8Array.from([22, 3, 3, msg.length >> 8, msg.length & 0xff, ...msg]);
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

await main();
