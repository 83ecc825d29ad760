/**
 * The banner module interface (DESIGN.md §4.4: plugins are plain objects behind an interface,
 * listed in one registry array). A module is a streaming parser of one application protocol:
 * bytes from the server in, banner text out, and optionally bytes to send back (a hello, a
 * protocol step). It never sees the TCP stack: a banner session (session.ts) sits between
 * the stack and the module.
 *
 * Every parser gives the same result whether its input arrives whole, byte by byte or split
 * at random points (a test of each module proves it).
 */

/**
 * masscan's app-protocol names as printed (reference §9.6), those the modules produce.
 * One banner record is made per name per connection, flushed when the connection ends.
 */
export type AppName =
  | 'unknown' | 'ssh' | 'http' | 'http.server' | 'title' | 'html' | 'ssl' | 'X509' | 'X509CA'
  | 'ftp' | 'smtp' | 'pop' | 'imap' | 'vnc' | 'vnc-info' | 'telnet' | 'memcached' | 'rdp'
  | 'smb' | 'dns-ver' | 'snmp' | 'ntp' | 'nbtstat' | 'coap' | 'isakmp' | 'minecraft'
  | 'vuln' | 'safe' | 'heartbleed' | 'ticketbleed' | 'redis' | 'error';

/** Where a parser puts what it found on one connection. */
export interface BannerOut {
  /** Append bytes to this connection's `app` banner (capped by the session; never throws). */
  append(app: AppName, buf: Uint8Array, off: number, len: number): void;
  /** Append text; each UTF-16 unit's low byte is one banner byte (latin1). */
  appendText(app: AppName, text: string): void;
  /** A typed extra field of the `app` record for JSON/NDJSON (e.g. ssh `hassh`). */
  field(app: AppName, name: string, value: string): void;
  /**
   * The `app` record is whole: what is written for `app` next starts a new record (masscan
   * HEAD ends an `X509CA` record after each chain certificate).
   */
  endRecord(app: AppName): void;
}

/** What a parser may ask of the connection. */
export interface Conversation {
  /** Queue bytes to the server (copied; the stack segments and retransmits them). */
  send(buf: Uint8Array): void;
  /** We have what we want: close politely (FIN after queued data). */
  close(): void;
  /**
   * Open a new connection to the same target and port for identification handshake
   * `attempt` (banners/session.ts IDENTIFY_ORDER): this one got no answer its probe could
   * read. The host may refuse (no room, no source port): then nothing happens.
   */
  reconnect?(attempt: number): void;
}

/** Who is on the other end, for hellos that name it (HTTP Host, TLS SNI). */
export interface TargetInfo {
  /** The address as text (IPv4 dotted, IPv6 RFC 5952; the scan's address text). */
  readonly ip: string;
  readonly port: number;
  /** A DNS name for the target (SNI, Host), when one is known. */
  readonly name: string | undefined;
}

/** One connection's parser state. */
export interface BannerParser {
  /** Bytes from the server, in order. May call out.* and conv.*. Never throws. */
  data(buf: Uint8Array, off: number, len: number): void;
  /** No more bytes will come (FIN, RST or timeout): flush what is pending. Never throws. */
  end(): void;
}

/** A protocol, prepared for one scan (its options applied once). */
export interface BannerModule {
  /** The protocol's name (the registry key; usually its main AppName). */
  readonly name: string;
  /** The probe to send when the server stays silent; null: wait for the server only. */
  hello(t: TargetInfo): Uint8Array | null;
  /** A parser for one connection. */
  open(t: TargetInfo, out: BannerOut, conv: Conversation): BannerParser;
}
