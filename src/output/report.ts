/**
 * Format `report` (-oW, --output-format report, --report OUT FILES…): one self-contained HTML
 * page with a summary, hosts and ports tables, banners, certificates and charts.
 *
 * Unlike the streaming formats, a report is a view of the whole scan: the state collects the
 * records (ReportCollector, bounded: see LIMITS) and the footer renders the page
 * (report-html.ts) and writes it in one piece. So an interrupted scan still ends with a
 * complete page (OutputSet writes footers on every exit path), and an empty scan writes a
 * page that says so (alwaysComplete). A report cannot be appended to: --append-output on an
 * existing non-empty report is refused.
 *
 * Everything in a record is untrusted (banners are whatever a server sent): the collector
 * keeps raw values, and the renderer escapes every one of them.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { AppendError } from './append-scan.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, ServiceRecord, IpAddress, ScanRecord, StatusRecord } from '../core/record.js';
import { escapeBanner } from './escape.js';
import type { AppendState, FormatState, OutputFormat, ScanMeta, TailReader } from './format.js';
import { protoName, reasonString } from './format.js';
import type { ServiceNames } from './services.js';
import type { Sink } from './sink.js';
import { renderReport } from './report-html.js';

/** How much of a scan a report keeps in detail; beyond these, records only count in totals. */
export const LIMITS = {
  /** Distinct (address, protocol, port) entries kept (ports table, per-host counts). */
  ports: 1_000_000,
  /** Distinct hosts kept. */
  hosts: 1_000_000,
  /** Rows written to each table of the page (the rest is summarised in a line). */
  rows: 5_000,
  /** Banners kept for the banners table. */
  banners: 2_000,
  /** Characters of an escaped banner shown (the rest is cut, with its length noted). */
  bannerChars: 2_048,
  /** Distinct certificates kept. */
  certs: 2_000,
} as const;

/** Banner services that describe a port's protocol (not a detail such as a title). */
const DETAIL_SERVICES = new Set(['X509', 'X509CA', 'title', 'http.server', 'html', 'vuln', 'unknown', 'versioning', 'vnc-info']);

/** The sort key of an address: IPv4 before IPv6, each in numeric order (fixed-width hex). */
export function ipSortKey(ip: IpAddress): string {
  return ip.version === 4 ? '4' + ip.v4.toString(16).padStart(8, '0') : '6' + ip.v6.toString(16).padStart(32, '0');
}

/** Map keys: numbers for IPv4 (no string built per record), strings for IPv6. */
export type Key = number | string;

const PROTO_SLOT: Readonly<Record<string, number>> = { tcp: 0, udp: 1, sctp: 2, icmp: 3, arp: 4, err: 5 };

function hostKey(ip: IpAddress): Key {
  return ip.version === 4 ? ip.v4 : ipSortKey(ip);
}

/** (address, protocol name, port) as one key: below 2^51 for IPv4, so exact in a double. */
function portKey(ip: IpAddress, h: HostEntry, proto: string, port: number): Key {
  return ip.version === 4 ? (ip.v4 * 8 + PROTO_SLOT[proto]!) * 65536 + port : `${h.ipKey}/${proto}/${port}`;
}

export interface PortEntry {
  readonly ip: string;
  readonly ipKey: string;
  readonly proto: string;
  readonly ipProto: number;
  readonly port: number;
  status: string;
  reason: string;
  ttl: number;
  first: number;
  last: number;
  /** Protocol named by a banner on this port (http, ssh, ssl, ...), if any. */
  detected: string | undefined;
  mac: string | undefined;
}

export interface HostEntry {
  readonly ip: string;
  readonly ipKey: string;
  open: number;
  closed: number;
  up: boolean;
  banners: number;
  first: number;
  last: number;
  mac: string | undefined;
  /** `port/proto` of the open ports (at most 64 listed). */
  readonly openPorts: string[];
}

export interface BannerEntry {
  readonly ip: string;
  readonly ipKey: string;
  readonly proto: string;
  readonly port: number;
  readonly service: string;
  readonly timestamp: number;
  /** masscan's `\xNN` escaping of the banner, cut at LIMITS.bannerChars. */
  readonly text: string;
  /** Length of the raw banner in bytes. */
  readonly bytes: number;
  readonly cut: boolean;
}

export interface CertEntry {
  readonly fingerprint: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: number;
  readonly validTo: number;
  readonly names: string;
  readonly selfSigned: boolean;
  /** `ip:port` where it was seen (at most 32 listed) and the total. */
  readonly endpoints: string[];
  seen: number;
  readonly error: string | undefined;
}

/** Everything the renderer needs, aggregated. */
export interface ReportData {
  readonly meta: ScanMeta;
  readonly generatedMs: number;
  readonly ports: ReadonlyMap<Key, PortEntry>;
  readonly hosts: ReadonlyMap<Key, HostEntry>;
  readonly banners: readonly BannerEntry[];
  readonly certs: ReadonlyMap<string, CertEntry>;
  /** ssl banner version tokens (`TLS/1.3`, ...) -> endpoints. */
  readonly tlsVersions: ReadonlyMap<string, number>;
  /** Unix second -> open ports first seen then. */
  readonly discoveries: ReadonlyMap<number, number>;
  readonly counts: {
    readonly records: number;
    readonly statusRecords: number;
    readonly bannerRecords: number;
    readonly open: number;
    readonly closed: number;
    readonly up: number;
    /** Records counted in the totals only (beyond LIMITS). */
    readonly overflow: number;
    readonly bannersNotListed: number;
    readonly certsNotListed: number;
  };
  readonly firstSeen: number | undefined;
  readonly lastSeen: number | undefined;
  readonly services: ServiceNames;
}

/** The version token at the start of an ssl banner (`TLS/1.2`, `SSLv3`, `SSLver[3,5]`). */
export function tlsVersionOf(banner: string): string | undefined {
  const m = /^(TLS\/1\.[0-3]|SSLv[23]|SSLver\[\d{1,3},\d{1,3}\])[ ,]/.exec(banner);
  return m === null ? undefined : m[1];
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

/** Aggregates records for a report. Bounded by LIMITS whatever the input. */
export class ReportCollector {
  readonly ports = new Map<Key, PortEntry>();
  readonly hosts = new Map<Key, HostEntry>();
  readonly banners: BannerEntry[] = [];
  readonly certs = new Map<string, CertEntry>();
  readonly tlsVersions = new Map<string, number>();
  readonly discoveries = new Map<number, number>();
  private readonly tlsSeen = new Set<Key>();
  private readonly bannerSeen = new Set<string>();
  records = 0;
  statusRecords = 0;
  bannerRecords = 0;
  overflow = 0;
  bannersNotListed = 0;
  certsNotListed = 0;
  firstSeen: number | undefined;
  lastSeen: number | undefined;

  add(r: ScanRecord): void {
    this.records++;
    const t = r.timestamp;
    if (this.firstSeen === undefined || t < this.firstSeen) this.firstSeen = t;
    if (this.lastSeen === undefined || t > this.lastSeen) this.lastSeen = t;
    if (r.kind === 'status') this.status(r);
    else if (r.kind === 'service') this.identified(r);
    else this.banner(r);
  }

  private host(ip: IpAddress, t: number): HostEntry | undefined {
    const key = hostKey(ip);
    let h = this.hosts.get(key);
    if (h === undefined) {
      if (this.hosts.size >= LIMITS.hosts) return undefined;
      h = { ip: ipToString(ip), ipKey: ipSortKey(ip), open: 0, closed: 0, up: false, banners: 0, first: t, last: t, mac: undefined, openPorts: [] };
      this.hosts.set(key, h);
    }
    if (t < h.first) h.first = t;
    if (t > h.last) h.last = t;
    return h;
  }

  private status(r: StatusRecord): void {
    this.statusRecords++;
    const h = this.host(r.ip, r.timestamp);
    if (h === undefined) {
      this.overflow++;
      return;
    }
    if (r.mac !== undefined) h.mac = r.mac;
    if (r.status === 'up' || r.ipProto === 0) {
      h.up = true;
      return;
    }
    const proto = protoName(r.ipProto);
    // Keyed by the protocol's name, as every text format prints it: a port read from JSON
    // (where ICMPv6 is `icmp` and other protocols `err`) is the same as from a binary file.
    const key = portKey(r.ip, h, proto, r.port);
    let p = this.ports.get(key);
    if (p === undefined) {
      if (this.ports.size >= LIMITS.ports) {
        this.overflow++;
        return;
      }
      p = {
        ip: h.ip, ipKey: h.ipKey, proto, ipProto: r.ipProto, port: r.port, status: r.status, reason: reasonString(r.reason),
        ttl: r.ttl, first: r.timestamp, last: r.timestamp, detected: undefined, mac: r.mac,
      };
      this.ports.set(key, p);
      this.count(h, p, r.status, +1);
      return;
    }
    if (r.timestamp < p.first) p.first = r.timestamp;
    // The latest record of an endpoint wins (a later file may see a port closed, or open).
    if (r.timestamp >= p.last) {
      p.last = r.timestamp;
      if (p.status !== r.status) {
        this.count(h, p, p.status, -1);
        p.status = r.status;
        this.count(h, p, r.status, +1);
      }
      p.reason = reasonString(r.reason);
      p.ttl = r.ttl;
    }
  }

  private count(h: HostEntry, p: PortEntry, status: string, d: 1 | -1): void {
    if (status === 'open') {
      h.open += d;
      h.up = h.up || d > 0;
      const label = `${p.port}/${p.proto}`;
      if (d > 0) {
        if (h.openPorts.length < 64) h.openPorts.push(label);
        this.discoveries.set(p.first, (this.discoveries.get(p.first) ?? 0) + 1);
      } else {
        const i = h.openPorts.indexOf(label);
        if (i >= 0) h.openPorts.splice(i, 1);
      }
    } else if (status === 'closed') {
      h.closed += d;
    }
  }

  /** Identification on any port named the port's service: that is the port's service. */
  private identified(r: ServiceRecord): void {
    const h = this.hosts.get(hostKey(r.ip));
    if (h === undefined) return;
    const p = this.ports.get(portKey(r.ip, h, protoName(r.ipProto), r.port));
    if (p !== undefined) p.detected = r.service;
  }

  private banner(r: BannerRecord): void {
    this.bannerRecords++;
    const h = this.host(r.ip, r.timestamp);
    if (h === undefined) {
      this.overflow++;
      return;
    }
    const head = r.banner.length > LIMITS.bannerChars ? r.banner.subarray(0, LIMITS.bannerChars) : r.banner;
    let text = escapeBanner(head);
    const cut = text.length > LIMITS.bannerChars || head.length < r.banner.length;
    if (text.length > LIMITS.bannerChars) text = text.slice(0, LIMITS.bannerChars);
    const proto = protoName(r.ipProto);
    // The same banner read twice (several files of one scan, a re-scan) counts once. Kept as
    // a digest: at most LIMITS.ports short keys, whatever the banners' sizes.
    const dedup = `${h.ipKey}/${proto}/${r.port}/${r.service}/${createHash('sha256').update(r.banner).digest('base64')}`;
    if (this.bannerSeen.has(dedup)) return;
    if (this.bannerSeen.size < LIMITS.ports) this.bannerSeen.add(dedup);
    h.banners++;
    h.up = true;
    const pk = portKey(r.ip, h, proto, r.port);
    const p = this.ports.get(pk);
    if (p !== undefined && !DETAIL_SERVICES.has(r.service) && (p.detected === undefined || p.detected === 'ssl')) {
      p.detected = r.service;
    }
    const endpoint = `${h.ip}:${r.port}/${proto}`;
    if (r.service === 'X509') {
      this.cert(r.banner, endpoint);
      return;
    }
    if (r.service === 'X509CA') return; // the chain: the leaf's table row is what matters
    if (r.service === 'ssl') {
      const v = tlsVersionOf(latin1(r.banner.subarray(0, 32)));
      if (v !== undefined && !this.tlsSeen.has(pk) && this.tlsSeen.size < LIMITS.ports) {
        this.tlsSeen.add(pk);
        this.tlsVersions.set(v, (this.tlsVersions.get(v) ?? 0) + 1);
      }
    }
    if (this.banners.length >= LIMITS.banners) {
      this.bannersNotListed++;
      return;
    }
    this.banners.push({ ip: h.ip, ipKey: h.ipKey, proto, port: r.port, service: r.service, timestamp: r.timestamp, text, bytes: r.banner.length, cut });
  }

  private cert(banner: Uint8Array, endpoint: string): void {
    // The banner is base64 text from the wire: keep base64 characters only.
    const b64 = latin1(banner.subarray(0, 1 << 20)).replace(/[^A-Za-z0-9+/=]/g, '');
    const der = Buffer.from(b64, 'base64');
    let entry: CertEntry;
    try {
      const x = new X509Certificate(der);
      const fp = x.fingerprint256;
      const seen = this.certs.get(fp);
      if (seen !== undefined) {
        if (seen.endpoints.includes(endpoint)) return;
        seen.seen++;
        if (seen.endpoints.length < 32) seen.endpoints.push(endpoint);
        return;
      }
      entry = {
        fingerprint: fp,
        subject: x.subject,
        issuer: x.issuer,
        validFrom: Date.parse(x.validFrom),
        validTo: Date.parse(x.validTo),
        names: x.subjectAltName ?? '',
        selfSigned: x.checkIssued(x),
        endpoints: [endpoint],
        seen: 1,
        error: undefined,
      };
    } catch (e) {
      const fp = `unparsed:${b64.slice(0, 32)}`;
      const seen = this.certs.get(fp);
      if (seen !== undefined) {
        seen.seen++;
        return;
      }
      entry = {
        fingerprint: fp, subject: '', issuer: '', validFrom: NaN, validTo: NaN, names: '', selfSigned: false,
        endpoints: [endpoint], seen: 1, error: e instanceof Error ? e.message : String(e),
      };
    }
    if (this.certs.size >= LIMITS.certs) {
      this.certsNotListed++;
      return;
    }
    this.certs.set(entry.fingerprint, entry);
  }

  /** The aggregate as the renderer reads it. */
  data(meta: ScanMeta, generatedMs: number, services: ServiceNames): ReportData {
    let open = 0;
    let closed = 0;
    let up = 0;
    for (const h of this.hosts.values()) {
      open += h.open;
      closed += h.closed;
      if (h.up) up++;
    }
    return {
      meta, generatedMs, services,
      ports: this.ports, hosts: this.hosts, banners: this.banners, certs: this.certs,
      tlsVersions: this.tlsVersions, discoveries: this.discoveries,
      counts: {
        records: this.records, statusRecords: this.statusRecords, bannerRecords: this.bannerRecords,
        open, closed, up, overflow: this.overflow, bannersNotListed: this.bannersNotListed, certsNotListed: this.certsNotListed,
      },
      firstSeen: this.firstSeen, lastSeen: this.lastSeen,
    };
  }
}

class ReportState implements FormatState {
  private readonly c = new ReportCollector();
  constructor(private readonly meta: ScanMeta, private readonly services: ServiceNames) {}
  header(): void {}
  status(_w: Sink, r: StatusRecord): void {
    this.c.add(r);
  }
  banner(_w: Sink, r: BannerRecord): void {
    this.c.add(r);
  }
  service(_w: Sink, r: ServiceRecord): void {
    this.c.add(r);
  }
  footer(w: Sink, nowMs: number): void {
    w.text(renderReport(this.c.data(this.meta, nowMs, this.services)));
  }
  resume(_s: AppendState): void {}
}

/** --append-output onto a report: an empty file is fine, anything else is refused. */
function reportAppendScan(size: number, _read: TailReader): AppendState {
  if (size > 0) throw new AppendError('an HTML report cannot be continued (write a new one, or use --report with every scan file)');
  return { keep: 0, hasHeader: false, hasRecords: false };
}

export const reportFormat: OutputFormat = {
  name: 'report',
  description: 'a self-contained HTML report with tables and charts (-oW)',
  extension: '.html',
  alwaysComplete: true,
  appendScan: reportAppendScan,
  create: (meta, opts) => new ReportState(meta, opts.services),
};
