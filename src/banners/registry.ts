/**
 * The banner modules of tidescan (DESIGN.md §4.4: one registry array), the hello table
 * (reference masscan-compat §9.3: which probe each destination port gets when the server
 * stays silent) and first-bytes detection (§9.2: which parser reads a server that speaks
 * first).
 *
 * `buildBanners` prepares every module once per scan from a `BannerConfig` (the options the
 * modules need, as plain typed values). Adding a protocol is one line in BANNER_MODULES, plus
 * its ports in HELLO_PORTS and its greetings in DETECT_RULES.
 */
import { TLS_APPS, tlsModule, type TlsVulnCheck } from './tls.js';
import { TlsScanKeys } from '../codec/tls13.js';
import { randomBytes } from 'node:crypto';
import type { AppName, BannerModule, TargetInfo } from './module.js';
import { HTTP_APPS, httpModule, type HttpRequestConfig } from './http.js';
import { SSH_APPS, sshModule } from './ssh.js';
import type { ModuleLookup } from './lines.js';
import { FTP_APPS, ftpModule, SMTP_APPS, smtpModule } from './ftp.js';
import { IMAP_APPS, imapModule, POP_APPS, popModule } from './mail.js';
import { VNC_APPS, vncModule } from './vnc.js';
import { TELNET_APPS, telnetModule } from './telnet.js';
import { MEMCACHED_APPS, memcachedModule } from './memcached.js';
import { REDIS_APPS, redisModule } from './redis.js';
import { SMB_APPS, smbModule } from './smb.js';
import { RDP_APPS, rdpModule } from './rdp.js';
import { mysqlModule } from './mysql.js';
import { HELLO_PROTOS, helloModule } from './hellos.js';

/** What the banner modules need from the scan's options. */
export interface BannerConfig {
  /** tidescan's version (package.json), for the HTTP User-Agent and the SSH ident. */
  readonly productVersion: string;
  /** The --http-* request edits. */
  readonly http: HttpRequestConfig;
  /** --capture html: keep the HTTP body as an `html` banner. */
  readonly captureHtml: boolean;
  /** --capture cert (default on): keep certificates as X509/X509CA banners. */
  readonly captureCert: boolean;
  /** --hello: `http`/`ssl` send that probe on every port; `smbv1` restricts SMB to v1 (for the SMB module). */
  readonly hello: 'http' | 'ssl' | 'smbv1' | undefined;
  /** --hello-string[PORT] (and --hello-file[PORT]): the probe bytes for PORT; that port keeps its parser. */
  readonly helloStrings: ReadonlyMap<number, Uint8Array>;
  /** --tls-sni: the SNI name when the target has none of its own. */
  readonly tlsSni: string | undefined;
  /** --hello-timeout in ms (default 2000): how long the server may stay silent. */
  readonly helloTimeoutMs: number;
  /**
   * Identify the service on ports without a hello (default on; --no-identify turns it off):
   * a silent server gets the handshakes of session.ts IDENTIFY_ORDER, one per connection.
   */
  readonly identify?: boolean | undefined;
  /**
   * --heartbleed, --ticketbleed (--vuln X): the TLS check run on every port (masscan: the SSL
   * hello on ports 0..65534), see tls.ts VULN.
   */
  readonly vuln?: TlsVulnCheck | undefined;
  /** --capture heartbleed / --capture ticketbleed: keep the leaked bytes as base64 banners. */
  readonly captureHeartbleed?: boolean | undefined;
  readonly captureTicketbleed?: boolean | undefined;
  /** Random bytes (the SSH KEXINIT cookie); node:crypto's when absent. Tests pass their own. */
  readonly randomBytes?: ((n: number) => Uint8Array) | undefined;
}

/** The defaults: masscan's request, cert captured, a 2 s hello timeout. */
export function defaultBannerConfig(productVersion: string): BannerConfig {
  return {
    productVersion,
    http: {},
    captureHtml: false,
    captureCert: true,
    hello: undefined,
    helloStrings: new Map(),
    tlsSni: undefined,
    helloTimeoutMs: 2000,
  };
}

/** One protocol of the registry. */
export interface BannerModuleDef {
  /** The registry key (what HELLO_PORTS and DETECT_RULES name). */
  readonly name: string;
  /** The banners it can produce. */
  readonly apps: readonly AppName[];
  readonly description: string;
  /**
   * The module, with the scan's options applied. Called once per scan. `lookup` reaches the
   * scan's other modules by name, once they are all prepared (call it per connection, not
   * here): STARTTLS conversations hand over to 'ssl'.
   */
  prepare(cfg: BannerConfig, random: (n: number) => Uint8Array, lookup: ModuleLookup): BannerModule;
}

/** Every banner module. */
export const BANNER_MODULES: readonly BannerModuleDef[] = [
  {
    name: 'http',
    apps: HTTP_APPS,
    description: 'HTTP: status line and header, Server, title, body with --capture html',
    prepare: (cfg) => httpModule(cfg.http, cfg.productVersion, cfg.captureHtml),
  },
  {
    name: 'ssl',
    apps: TLS_APPS,
    description: 'TLS: version, cipher and names (ssl), certificates (X509, X509CA); TLS 1.3 decrypted',
    prepare: (cfg, random) => tlsModule({
      sni: cfg.tlsSni, captureCert: cfg.captureCert, keys: TlsScanKeys.generate(), random,
      vuln: cfg.vuln, captureHeartbleed: cfg.captureHeartbleed, captureTicketbleed: cfg.captureTicketbleed,
    }),
  },
  {
    name: 'ssh',
    apps: SSH_APPS,
    description: 'SSH: ident line, KEXINIT algorithm lists, HASSH fingerprint',
    prepare: (cfg, random) => sshModule(cfg.productVersion, random(16)),
  },
  {
    name: 'ftp',
    apps: FTP_APPS,
    description: 'FTP: reply lines, AUTH TLS, then the certificate (ssl, X509); SMTP when the greeting names it',
    prepare: (_cfg, _random, lookup) => ftpModule(lookup),
  },
  {
    name: 'smtp',
    apps: SMTP_APPS,
    description: 'SMTP: greeting and EHLO reply, STARTTLS, then the certificate (ssl, X509)',
    prepare: (_cfg, _random, lookup) => smtpModule(lookup),
  },
  {
    name: 'pop',
    apps: POP_APPS,
    description: 'POP3: greeting and CAPA reply, STLS, then the certificate (ssl, X509)',
    prepare: (_cfg, _random, lookup) => popModule(lookup),
  },
  {
    name: 'imap',
    apps: IMAP_APPS,
    description: 'IMAP4: greeting and CAPABILITY reply, STARTTLS, then the certificate (ssl, X509)',
    prepare: (_cfg, _random, lookup) => imapModule(lookup),
  },
  {
    name: 'vnc',
    apps: VNC_APPS,
    description: 'VNC: RFB version (vnc); security types, size and desktop name (vnc-info)',
    prepare: () => vncModule(),
  },
  {
    name: 'telnet',
    apps: TELNET_APPS,
    description: 'Telnet: printable text after option negotiation (refused but ECHO and SGA)',
    prepare: () => telnetModule(),
  },
  {
    name: 'memcached',
    apps: MEMCACHED_APPS,
    description: 'memcached: `stats` as key=value pairs',
    prepare: () => memcachedModule(),
  },
  {
    name: 'redis',
    apps: REDIS_APPS,
    description: 'Redis: INFO server section as key=value pairs, or the error reply (a tidescan name: masscan prints unknown)',
    prepare: () => redisModule(),
  },
  // Banners II: SMB, RDP, MySQL and the rest of the hello table (smb.ts, rdp.ts, mysql.ts, hellos.ts)
  {
    name: 'smb',
    apps: SMB_APPS,
    description: 'SMB: NetBIOS session (139), SMB1/SMB2 negotiate, NTLMSSP challenge (OS version, domain, names)',
    prepare: (cfg, random) => smbModule(cfg.hello === 'smbv1', random),
  },
  {
    name: 'rdp',
    apps: RDP_APPS,
    description: 'RDP: X.224 connection confirm, selected protocol, NLA-supported/-unused/-unsupported or the failure',
    prepare: () => rdpModule(),
  },
  {
    name: 'mysql',
    apps: ['unknown'],
    description: 'MySQL/MariaDB handshake v10 or ERR packet, as readable `unknown` text (masscan has no name for it)',
    prepare: () => mysqlModule(),
  },
  // the rest of HEAD's hello table (§9.3), one module per protocol
  ...HELLO_PROTOS.map((p): BannerModuleDef => ({
    name: p.name,
    apps: p.name === 'dns-tcp' ? ['dns-ver', 'unknown'] : p.name === 'minecraft' ? ['minecraft', 'unknown'] : ['unknown'],
    description: `${p.service}: the §9.3 probe and a reader of the first reply`,
    prepare: () => helloModule(p),
  })),
];

/** Ports as single numbers or inclusive [first, last] ranges. */
type PortSet = readonly (number | readonly [number, number])[];

/**
 * §9.3: the probe of each destination port, by module name (masscan HEAD's table, for the
 * modules tidescan has or is building). Ports not listed get none: we wait for the server.
 * Port 22 is deliberately absent: SSH servers speak first.
 */
export const HELLO_PORTS: readonly { readonly module: string; readonly ports: PortSet }[] = [
  { module: 'http', ports: [80, 8080, 8530] },
  {
    module: 'ssl',
    ports: [443, 465, [990, 995], 636, 637, 322, 2083, 2087, 2096, 2376, 3269, 5061, 8140, 8443, 8531, 9050, 11712, 49955],
  },
  { module: 'telnet', ports: [23] },
  { module: 'memcached', ports: [11211] },
  { module: 'redis', ports: [6379] },
  // Banners II: SMB, RDP and the rest of HEAD's table
  { module: 'smb', ports: [139, 445] },
  { module: 'rdp', ports: [3389] },
  ...HELLO_PROTOS.map((p) => ({ module: p.name, ports: p.ports })),
];

/** One greeting of §9.2: the first bytes of a server that speaks first. */
export interface DetectRule {
  /** The bytes at offset 0 (latin1 text). */
  readonly prefix: string;
  /** The module that reads the rest (a rule of a module not registered is skipped). */
  readonly module: string;
  /** Letters match either case (masscan matches case-insensitively). Default true. */
  readonly caseless?: boolean;
  /** Only on these destination ports (e.g. `220 ` is SMTP on 25 and 587, FTP elsewhere). */
  readonly ports?: readonly number[];
  /** Offsets of the prefix whose byte may be anything (a length field, e.g. SMB's `00 00 ?? ??`). */
  readonly anyAt?: readonly number[];
}

/**
 * §9.2, in priority order (the first rule that matches wins).
 * NOTE: two departures from masscan, both for SMTP: a multi-line `220-` greeting on 25/587
 * is SMTP too (masscan: FTP), and the ftp module itself switches to SMTP when the greeting
 * names it (ftp.ts), so an SMTP server on any port gets EHLO/STARTTLS.
 */
export const DETECT_RULES: readonly DetectRule[] = [
  { prefix: 'SSH-1.', module: 'ssh' },
  { prefix: 'SSH-2.', module: 'ssh' },
  { prefix: 'HTTP/1.', module: 'http' },
  { prefix: '220 ', module: 'smtp', ports: [25, 587] },
  { prefix: '220-', module: 'smtp', ports: [25, 587] },
  { prefix: '220 ', module: 'ftp' },
  { prefix: '220-', module: 'ftp' },
  { prefix: '521 ', module: 'smtp' },
  { prefix: '+OK ', module: 'pop' },
  { prefix: '* OK ', module: 'imap' },
  { prefix: 'RFB 003.', module: 'vnc' },
  { prefix: 'RFB 004.', module: 'vnc' },
  { prefix: 'STAT pid ', module: 'memcached' },
  // RFC 854: a server that opens with option negotiation (IAC WILL/WONT/DO/DONT) is telnet;
  // §9.2 lists `ff fb 01`, `ff fd 18/20/23/27`: any IAC option verb is taken here.
  { prefix: '\xff\xfb', module: 'telnet' },
  { prefix: '\xff\xfc', module: 'telnet' },
  { prefix: '\xff\xfd', module: 'telnet' },
  { prefix: '\xff\xfe', module: 'telnet' },
  { prefix: 'login:', module: 'telnet' },
  { prefix: 'password:', module: 'telnet' },
  // Banners II (SMB, RDP, MySQL): binary greetings with length bytes matched by anyAt
  { prefix: '\x00\x00\x00\x00\xfeSMB', module: 'smb', anyAt: [2, 3] },
  { prefix: '\x00\x00\x00\x00\xffSMB', module: 'smb', anyAt: [2, 3] },
  { prefix: '\x82\x00\x00\x00', module: 'smb' },
  { prefix: '\x83\x00\x00\x01', module: 'smb' },
  { prefix: '\x03\x00\x00\x13\x0e\xd0', module: 'rdp' },
  { prefix: '\x03\x00\x00\x0b\x06\xd0', module: 'rdp' },
  // MySQL/MariaDB: a 3-byte length (first byte any, a greeting is < 256 bytes), sequence 0,
  // then protocol 10 or an ERR packet (0xff)
  { prefix: '\x00\x00\x00\x00\x0a', module: 'mysql', anyAt: [0] },
  { prefix: '\x00\x00\x00\x00\xff', module: 'mysql', anyAt: [0] },
];

/** The longest prefix of any rule: how many first bytes a session may have to hold. */
export const DETECT_MAX = 16;

interface CompiledRule {
  readonly bytes: Uint8Array;
  readonly caseless: boolean;
  readonly ports: readonly number[] | undefined;
  /** Per prefix byte: 1 when any byte matches there. */
  readonly any: Uint8Array;
  readonly module: BannerModule;
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

function compileRule(r: DetectRule, m: BannerModule): CompiledRule {
  const any = new Uint8Array(r.prefix.length);
  for (const k of r.anyAt ?? []) if (k >= 0 && k < any.length) any[k] = 1;
  return { bytes: Uint8Array.from(Buffer.from(r.prefix, 'latin1')), caseless: r.caseless ?? true, ports: r.ports, any, module: m };
}

/**
 * The first of `rules` (in order) that matches buf[off, off + len) on `port`; 'more' when one
 * could still match with more bytes (and it has priority over later ones), unless `final`;
 * 'unknown' when none can.
 */
function matchRules(rules: readonly CompiledRule[], buf: Uint8Array, off: number, len: number, port: number, final: boolean): Detected {
  if (off < 0 || len < 0 || off + len > buf.length) return 'unknown';
  for (const r of rules) {
    if (r.ports !== undefined && !r.ports.includes(port)) continue;
    const n = Math.min(len, r.bytes.length);
    if (final && n < r.bytes.length) continue;
    let ok = true;
    for (let k = 0; k < n; k++) {
      if (r.any[k] === 1) continue;
      const a = buf[off + k]!;
      const b = r.bytes[k]!;
      if (a !== b && !(r.caseless && lower(a) === lower(b))) { ok = false; break; }
    }
    if (!ok) continue;
    if (n === r.bytes.length) return r.module;
    return 'more';
  }
  return 'unknown';
}

/** A detection verdict on the first bytes: a module, no rule can match, or not enough bytes yet. */
export type Detected = BannerModule | 'unknown' | 'more';

/** Every module of one scan, prepared. */
export class Banners {
  readonly config: BannerConfig;
  private readonly byName = new Map<string, BannerModule>();
  /** Module per port 0..65535 (undefined: none), from HELLO_PORTS or --hello. */
  private readonly helloModule: (BannerModule | undefined)[] = new Array<BannerModule | undefined>(65536);
  private readonly rules: CompiledRule[] = [];
  /** detectReply's rules per module name, compiled at first use. */
  private readonly replyRules = new Map<string, CompiledRule[]>();

  constructor(cfg: BannerConfig, modules: readonly BannerModuleDef[] = BANNER_MODULES) {
    this.config = cfg;
    const random = cfg.randomBytes ?? ((n: number) => Uint8Array.from(randomBytes(n)));
    for (const def of modules) {
      if (this.byName.has(def.name)) throw new Error(`banner module ${def.name} registered twice`);
      this.byName.set(def.name, def.prepare(cfg, random, (name) => this.byName.get(name) ?? null));
    }
    for (const { module, ports } of HELLO_PORTS) {
      const m = this.byName.get(module);
      if (m === undefined) continue;
      for (const p of ports) {
        const [a, b] = typeof p === 'number' ? [p, p] : p;
        for (let q = a; q <= b; q++) this.helloModule[q] = m;
      }
    }
    if (cfg.vuln !== undefined) {
      // masscan: a vulnerability check sends the SSL hello on every port
      this.helloModule.fill(this.byName.get('ssl'));
    } else if (cfg.hello === 'http' || cfg.hello === 'ssl') {
      // --hello http|ssl: that probe on every port (masscan: 0..65534)
      const m = this.byName.get(cfg.hello);
      this.helloModule.fill(m);
    }
    for (const r of DETECT_RULES) {
      const m = this.byName.get(r.module);
      if (m === undefined) continue;
      if (r.prefix.length > DETECT_MAX) throw new Error(`detect rule ${r.prefix} longer than ${DETECT_MAX}`);
      this.rules.push(compileRule(r, m));
    }
  }

  /** The module registered under `name` (e.g. 'ssl'), or null. */
  module(name: string): BannerModule | null {
    return this.byName.get(name) ?? null;
  }

  /** The module whose hello port `port` gets (§9.3, or --hello), or null: wait for the server. */
  forPort(port: number): BannerModule | null {
    return this.helloModule[port] ?? null;
  }

  /**
   * What to send when the server on `t` stays silent: the --hello-string of the port, else the
   * port's module's hello; null when there is nothing to send. `module` reads the answer
   * (null: detection decides, as for a server that speaks first).
   */
  helloFor(t: TargetInfo): { readonly bytes: Uint8Array; readonly module: BannerModule | null } | null {
    const m = this.forPort(t.port);
    const custom = this.config.helloStrings.get(t.port);
    if (custom !== undefined) return { bytes: custom, module: m };
    if (m === null) return null;
    const bytes = m.hello(t);
    return bytes === null ? null : { bytes, module: m };
  }

  /**
   * §9.2 on the first bytes buf[off, off + len) of a server on `port`: the first rule (in
   * table order) that matches, 'unknown' when none can, 'more' when a rule could still match
   * with more bytes and no earlier rule has matched.
   */
  detectPrefix(buf: Uint8Array, off: number, len: number, port: number): Detected {
    return this.match(buf, off, len, port, false);
  }

  /**
   * §9.2 on the bytes given, as a final answer (no more will come): the first rule that
   * matches in full, or null.
   */
  detect(buf: Uint8Array, off: number, len: number, port: number): BannerModule | null {
    const d = this.match(buf, off, len, port, true);
    return typeof d === 'string' ? null : d;
  }

  private match(buf: Uint8Array, off: number, len: number, port: number, final: boolean): Detected {
    return matchRules(this.rules, buf, off, len, port, final);
  }

  /**
   * Whether buf[off, off + len) starts with one of `prefixes` (exact bytes, latin1 text), the
   * replies that module `name` reads (session.ts IDENTIFY_REPLIES): that module, 'more' when
   * one could still match with more bytes, else 'unknown' (also when no such module).
   */
  detectReply(name: string, prefixes: readonly string[], buf: Uint8Array, off: number, len: number): Detected {
    let rules = this.replyRules.get(name);
    if (rules === undefined) {
      const m = this.byName.get(name);
      rules = m === undefined ? [] : prefixes.map((prefix) => compileRule({ prefix, module: name, caseless: false }, m));
      this.replyRules.set(name, rules);
    }
    return matchRules(rules, buf, off, len, 0, false);
  }
}

/** Every module prepared once for a scan. `modules` defaults to the registry. */
export function buildBanners(cfg: BannerConfig, modules: readonly BannerModuleDef[] = BANNER_MODULES): Banners {
  return new Banners(cfg, modules);
}
