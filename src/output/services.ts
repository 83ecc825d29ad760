/**
 * Service names for the grepable and unicornscan formats, as masscan gets them from the C
 * library: `getservbyport(port, "tcp"|"udp")` for those protocols (`unknown` when there is
 * none) and `getprotobynumber(ip_proto)` for the others, SCTP included (reference §4.6,
 * checked against masscan 1.3.2). We read
 * the same files the C library reads, /etc/services and /etc/protocols, once per output
 * set, so names match masscan's on the same machine; when a file is missing a small built-in
 * table is used instead.
 */
import { readFileSync } from 'node:fs';

export interface ServiceNames {
  /** Name of `port` for TCP/UDP (`unknown` if none); the protocol's name for any other. */
  port(ipProto: number, port: number): string;
  /** Name of an IP protocol number (1 -> icmp), or `unknown`. */
  protocol(ipProto: number): string;
}

const BUILTIN_SERVICES: readonly [string, number, string][] = [
  ['tcp', 21, 'ftp'], ['tcp', 22, 'ssh'], ['tcp', 23, 'telnet'], ['tcp', 25, 'smtp'],
  ['tcp', 53, 'domain'], ['udp', 53, 'domain'], ['tcp', 80, 'http'], ['tcp', 110, 'pop3'],
  ['udp', 123, 'ntp'], ['tcp', 143, 'imap2'], ['udp', 161, 'snmp'], ['tcp', 443, 'https'],
  ['tcp', 445, 'microsoft-ds'], ['tcp', 993, 'imaps'], ['tcp', 995, 'pop3s'],
  ['tcp', 3389, 'ms-wbt-server'], ['tcp', 8080, 'http-alt'],
];
const BUILTIN_PROTOCOLS: readonly [number, string][] = [
  [0, 'ip'], [1, 'icmp'], [6, 'tcp'], [17, 'udp'], [58, 'ipv6-icmp'], [132, 'sctp'],
];

function protoIndex(name: string): number {
  return name === 'tcp' ? 0 : name === 'udp' ? 1 : name === 'sctp' ? 2 : -1;
}

export class ServiceTable implements ServiceNames {
  /** Index: proto slot * 65536 + port. First entry wins, like getservbyport. */
  private readonly ports = new Map<number, string>();
  private readonly protos = new Map<number, string>();

  constructor(servicesText: string | undefined, protocolsText: string | undefined) {
    if (servicesText === undefined) {
      for (const [p, port, name] of BUILTIN_SERVICES) this.ports.set(protoIndex(p) * 65536 + port, name);
    } else {
      for (const line of servicesText.split('\n')) {
        const body = line.split('#', 1)[0]!.trim();
        if (body === '') continue;
        const f = body.split(/\s+/);
        const m = /^(\d+)\/(\w+)$/.exec(f[1] ?? '');
        if (m === null) continue;
        const slot = protoIndex(m[2]!);
        const port = Number(m[1]);
        if (slot < 0 || port > 65535) continue;
        const key = slot * 65536 + port;
        if (!this.ports.has(key)) this.ports.set(key, f[0]!);
      }
    }
    if (protocolsText === undefined) {
      for (const [n, name] of BUILTIN_PROTOCOLS) this.protos.set(n, name);
    } else {
      for (const line of protocolsText.split('\n')) {
        const body = line.split('#', 1)[0]!.trim();
        if (body === '') continue;
        const f = body.split(/\s+/);
        const n = Number(f[1]);
        if (f.length < 2 || !Number.isInteger(n) || n < 0 || n > 255) continue;
        if (!this.protos.has(n)) this.protos.set(n, f[0]!);
      }
    }
  }

  port(ipProto: number, port: number): string {
    // Only TCP and UDP are looked up by port: masscan prints `sctp` for every SCTP port.
    const slot = ipProto === 6 ? 0 : ipProto === 17 ? 1 : -1;
    if (slot < 0) return this.protocol(ipProto);
    return this.ports.get(slot * 65536 + port) ?? 'unknown';
  }

  protocol(ipProto: number): string {
    return this.protos.get(ipProto) ?? 'unknown';
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The system's tables (/etc/services, /etc/protocols), or the built-in ones. */
export function systemServiceNames(): ServiceNames {
  return new ServiceTable(readOrUndefined('/etc/services'), readOrUndefined('/etc/protocols'));
}

/** The built-in tables only: deterministic names for tests. */
export function builtinServiceNames(): ServiceNames {
  return new ServiceTable(undefined, undefined);
}
