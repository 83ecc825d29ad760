/**
 * The lab's sink-side services: real TCP listeners and UDP responders bound to chosen
 * addresses of the sink's AnyIP ranges (the ground truth of every end-to-end test), and a
 * trickle sender towards the scanner (masscan 1.3.2 only exits when packets keep arriving).
 *
 * Started by lab.ts inside the sink namespace (`ip netns exec <p>-sink node sink-server.js
 * <base64 spec>`), never by hand on the host. Guarantees, so it can never outlive its test:
 * - it exits by itself after `lifetimeMs` (capped at 30 minutes);
 * - it exits when its stdin closes (the parent died, even by SIGKILL);
 * - every counter (connections, UDP replies, trickle datagrams) is bounded.
 * It prints one line `READY` once every socket is bound, or `ERROR <why>` and exits 1.
 */
import net from 'node:net';
import dgram from 'node:dgram';

export interface SinkTcpListener {
  readonly host: string;
  readonly port: number;
  /** Bytes sent to every client before closing (a banner); none when absent. */
  readonly banner?: string;
}

export interface SinkUdpResponder {
  readonly host: string;
  readonly port: number;
  /** Payload of every answer; defaults to `tidescan-lab\n`. */
  readonly reply?: string;
}

export interface SinkTrickle {
  readonly host: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly maxCount: number;
}

export interface SinkServerSpec {
  readonly tcp: readonly SinkTcpListener[];
  readonly udp: readonly SinkUdpResponder[];
  readonly trickle?: SinkTrickle;
  readonly lifetimeMs: number;
  /**
   * Exit when stdin closes (default true): the parent's death stops the services. Scripts that
   * start the server in the background (scripts/demo.sh) set false and kill it by PID.
   */
  readonly watchStdin?: boolean;
}

const MAX_LIFETIME_MS = 30 * 60_000;
const MAX_CONNECTIONS = 100_000;
const MAX_UDP_REPLIES = 1_000_000;

function fail(why: string): never {
  process.stdout.write(`ERROR ${why}\n`);
  process.exit(1);
}

async function listenTcp(l: SinkTcpListener, counter: { n: number }): Promise<net.Server> {
  const server = net.createServer((sock) => {
    counter.n++;
    if (counter.n > MAX_CONNECTIONS) {
      sock.destroy();
      return;
    }
    sock.on('error', () => sock.destroy());
    sock.setTimeout(2000, () => sock.destroy());
    if (l.banner !== undefined) sock.end(l.banner);
    else sock.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A large backlog: at 10 M probes/s a listener may get a burst of SYNs (and retries).
    server.listen({ host: l.host, port: l.port, backlog: 4096, exclusive: true }, () => resolve());
  });
  return server;
}

async function bindUdp(u: SinkUdpResponder, counter: { n: number }): Promise<dgram.Socket> {
  const sock = dgram.createSocket(u.host.includes(':') ? 'udp6' : 'udp4');
  const reply = Buffer.from(u.reply ?? 'tidescan-lab\n');
  sock.on('message', (_msg, rinfo) => {
    counter.n++;
    if (counter.n > MAX_UDP_REPLIES) return;
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: u.host, port: u.port, exclusive: true }, () => resolve());
  });
  sock.on('error', () => undefined);
  return sock;
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) fail('usage: sink-server.js <base64 JSON spec>');
  let spec: SinkServerSpec;
  try {
    spec = JSON.parse(Buffer.from(arg, 'base64').toString('utf8')) as SinkServerSpec;
  } catch (e) {
    fail(`bad spec: ${(e as Error).message}`);
  }
  const lifetime = Math.min(Math.max(1000, spec.lifetimeMs | 0), MAX_LIFETIME_MS);
  setTimeout(() => process.exit(0), lifetime).unref();
  // Parent gone (stdin closed): stop at once.
  if (spec.watchStdin !== false) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('close', () => process.exit(0));
    process.stdin.resume();
  }
  // A keep-alive for the lifetime even when nothing is bound.
  const keep = setInterval(() => undefined, 1000);

  const tcpCount = { n: 0 };
  const udpCount = { n: 0 };
  try {
    for (const l of spec.tcp) await listenTcp(l, tcpCount);
    for (const u of spec.udp) await bindUdp(u, udpCount);
  } catch (e) {
    fail(`bind: ${(e as Error).message}`);
  }
  if (spec.trickle !== undefined) {
    const t = spec.trickle;
    const sock = dgram.createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
    sock.on('error', () => undefined);
    const payload = Buffer.from('tidescan-lab trickle\n');
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= t.maxCount) {
        clearInterval(timer);
        return;
      }
      sent++;
      sock.send(payload, t.port, t.host);
    }, Math.max(10, t.intervalMs));
  }
  void keep;
  process.stdout.write('READY\n');
}

void main();
