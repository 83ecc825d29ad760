/**
 * Typed result records: the only input to output formats.
 *
 * The engine (or --readscan) produces these; formats serialise them. Nothing else crosses
 * into src/output. Field meanings follow masscan's binary records (reference §4.8) so that
 * every format, the binary one included, can be written from a record alone.
 */

/** An address as the scanner keeps it: IPv4 as an unsigned 32-bit integer, IPv6 as bigint. */
export type IpAddress =
  | { readonly version: 4; readonly v4: number }
  | { readonly version: 6; readonly v6: bigint };

/** masscan's three statuses. `up` is an ARP reply (or an ICMP echo reply in some formats). */
export type PortStatus = 'open' | 'closed' | 'up';

/**
 * IP protocol numbers used in records: 6 tcp, 17 udp, 132 sctp, 1 icmp, 58 icmpv6 (printed as
 * icmp), 0 arp. Anything else prints as `err` in text formats, as masscan does.
 */
export type IpProtoNumber = number;

export interface StatusRecord {
  readonly kind: 'status';
  /** Unix time in seconds. */
  readonly timestamp: number;
  readonly ip: IpAddress;
  readonly ipProto: IpProtoNumber;
  /** The plain port number (0..65535; 0 for ICMP and ARP), not masscan's internal encoding. */
  readonly port: number;
  readonly status: PortStatus;
  /** TCP flags byte of the reply (0x12 syn-ack, 0x14 rst-ack); 0 when not TCP. */
  readonly reason: number;
  readonly ttl: number;
  /** ARP replies only: the responder's MAC, `aa:bb:cc:dd:ee:ff`. */
  readonly mac?: string;
}

export interface BannerRecord {
  readonly kind: 'banner';
  readonly timestamp: number;
  readonly ip: IpAddress;
  readonly ipProto: IpProtoNumber;
  readonly port: number;
  /** Banner service name as printed (`http`, `ssl`, `X509`, …): see output/app-proto.ts. */
  readonly service: string;
  readonly ttl: number;
  /** Raw banner bytes; formats escape them. */
  readonly banner: Uint8Array;
  /**
   * Parsed fields of the banner (ssh: `hassh`, `hasshAlgorithms`), written by JSON and
   * NDJSON next to the banner; formats that masscan's tools read keep only the banner.
   */
  readonly fields?: Readonly<Record<string, string>> | undefined;
}

/**
 * The service found on an open port by identification (`--banners`, unless --no-identify):
 * formats that have a service field in their port record write it there (JSON, NDJSON, XML
 * `<service name=…>`, grepable `Ports:`); the others leave it out, so masscan's formats are
 * unchanged when identification is off.
 */
export interface ServiceRecord {
  readonly kind: 'service';
  readonly timestamp: number;
  readonly ip: IpAddress;
  readonly ipProto: IpProtoNumber;
  readonly port: number;
  readonly ttl: number;
  /** The service's name: the banner module that read it (`http`, `ssl`, `ssh`, `redis`, …). */
  readonly service: string;
  /** Connections (handshakes) spent to identify it, the first included. */
  readonly handshakes: number;
}

export type ScanRecord = StatusRecord | BannerRecord | ServiceRecord;
