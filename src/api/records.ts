/**
 * The records a library user gets (from scan(), readScan()): plain objects, a discriminated
 * union on `kind`, addresses as text and times as Dates. They are made from the engine's
 * records (core/record.ts) only when the user takes them, so records that are dropped cost
 * nothing.
 *
 *  - 'port':   a TCP, UDP or SCTP port answered (open or closed), or an other-protocol probe
 *              (`oproto`) answered;
 *  - 'host':   an address is up without a port: an ICMP echo (or timestamp) reply of --ping,
 *              or an ARP reply of --arpscan (with the MAC);
 *  - 'banner': what a service said (--banners), escaped as the output files escape it, with
 *              the raw bytes beside;
 *  - 'service': the service a port speaks, found by identification on any port (--banners
 *              without --no-identify), and the connections it took.
 */
import type {
  BannerRecord as CoreBanner, ScanRecord as CoreRecord, ServiceRecord as CoreService, StatusRecord as CoreStatus,
} from '../core/record.js';
import { ipToString } from '../core/address.js';
import { escapeBanner } from '../output/escape.js';
import { reasonString } from '../output/format.js';

/** A record's protocol, as the output files name it (`other` is masscan's `err`: --oproto). */
export type Proto = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'arp' | 'other';

/** An answered port: TCP, UDP, SCTP (port number) or an other IP protocol (port = its number). */
export interface PortRecord {
  readonly kind: 'port';
  /** IPv4 dotted quad or IPv6 text (as the output files print it). */
  readonly addr: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp' | 'sctp' | 'other';
  /** The IP protocol number (6, 17, 132, or the --oproto number). */
  readonly ipProto: number;
  /** `closed` is a RST, an SCTP ABORT, or an ICMP port unreachable. */
  readonly status: 'open' | 'closed';
  /** The TCP flags of the reply as the outputs print them (`syn-ack`, `rst-ack`); `none` otherwise. */
  readonly reason: string;
  readonly ttl: number;
  /** When the reply came (whole seconds, as in masscan's records). */
  readonly time: Date;
}

/** An address that answered without a port: ICMP echo/timestamp (--ping, -p I:1) or ARP (--arpscan). */
export interface HostRecord {
  readonly kind: 'host';
  readonly addr: string;
  /** 0 for echo and ARP, 1 for ICMP timestamp (the `I:n` of the port list). */
  readonly port: number;
  readonly proto: 'icmp' | 'arp';
  readonly ipProto: number;
  readonly status: 'up';
  readonly reason: string;
  readonly ttl: number;
  readonly time: Date;
  /** ARP only: the responder's MAC, `aa:bb:cc:dd:ee:ff`. */
  readonly mac?: string;
}

/** What a service said on a port (--banners). */
export interface BannerRecord {
  readonly kind: 'banner';
  readonly addr: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp' | 'sctp' | 'other';
  readonly ipProto: number;
  /** The banner's service name as the outputs print it: `http`, `ssl`, `X509`, `ssh`, `title`, … */
  readonly service: string;
  /** The banner escaped as the output files escape it (`\xNN` for bytes outside printable ASCII). */
  readonly banner: string;
  /** The raw bytes. */
  readonly bytes: Uint8Array;
  readonly ttl: number;
  readonly time: Date;
  /** Parsed fields of the banner where there are some (ssh: `hassh`, `hasshAlgorithms`). */
  readonly fields?: Readonly<Record<string, string>>;
}

/** The service identified on a port (`http`, `ssl`, `ssh`, `redis`, …); its banners follow as banner records. */
export interface ServiceRecord {
  readonly kind: 'service';
  readonly addr: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp' | 'sctp' | 'other';
  readonly ipProto: number;
  readonly service: string;
  /** Connections (handshakes) it took to identify, the first included. */
  readonly handshakes: number;
  readonly time: Date;
}

export type ScanRecord = PortRecord | HostRecord | BannerRecord | ServiceRecord;

function protoOf(ipProto: number): Proto {
  switch (ipProto) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 132: return 'sctp';
    case 1: case 58: return 'icmp';
    case 0: return 'arp';
    default: return 'other';
  }
}

function fromStatus(r: CoreStatus): PortRecord | HostRecord {
  const proto = protoOf(r.ipProto);
  const addr = ipToString(r.ip);
  const time = new Date(r.timestamp * 1000);
  const reason = reasonString(r.reason);
  if (proto === 'icmp' || proto === 'arp') {
    const host: HostRecord = { kind: 'host', addr, port: r.port, proto, ipProto: r.ipProto, status: 'up', reason, ttl: r.ttl, time };
    return r.mac !== undefined ? { ...host, mac: r.mac } : host;
  }
  return {
    kind: 'port', addr, port: r.port, proto, ipProto: r.ipProto, status: r.status === 'closed' ? 'closed' : 'open', reason,
    ttl: r.ttl, time,
  };
}

function fromBanner(r: CoreBanner): BannerRecord {
  const p = protoOf(r.ipProto);
  const b: BannerRecord = {
    kind: 'banner', addr: ipToString(r.ip), port: r.port, proto: p === 'icmp' || p === 'arp' ? 'other' : p, ipProto: r.ipProto,
    service: r.service, banner: escapeBanner(r.banner), bytes: r.banner, ttl: r.ttl, time: new Date(r.timestamp * 1000),
  };
  return r.fields !== undefined ? { ...b, fields: r.fields } : b;
}

function fromService(r: CoreService): ServiceRecord {
  const p = protoOf(r.ipProto);
  return {
    kind: 'service', addr: ipToString(r.ip), port: r.port, proto: p === 'icmp' || p === 'arp' ? 'other' : p, ipProto: r.ipProto,
    service: r.service, handshakes: r.handshakes, time: new Date(r.timestamp * 1000),
  };
}

/** An engine record as the library's record. */
export function toApiRecord(r: CoreRecord): ScanRecord {
  if (r.kind === 'banner') return fromBanner(r);
  if (r.kind === 'service') return fromService(r);
  return fromStatus(r);
}
