/**
 * The typed ScanConfig fields of the options the table keeps in `raw` (the banner settings,
 * the HTTP probe's edits, payload files, --readscan-numbering). The table's apply functions
 * checked every value when it was parsed; this only gives them their types, so that no
 * code outside src/cli reads option names (`raw`). --echo still prints from `raw`.
 */
import type { AppNumbering, HelloName, NtpProbe, ScanConfig, VulnCheck } from '../core/config.js';

/** masscan's --connection-timeout default (seconds). */
export const CONNECTION_TIMEOUT_S = 30;
/** masscan's --hello-timeout default (seconds). */
export const HELLO_TIMEOUT_S = 2;

export type RawOptionFields = Pick<
  ScanConfig,
  | 'connectionTimeout' | 'helloTimeout' | 'hello' | 'helloStrings'
  | 'httpMethod' | 'httpUrl' | 'httpVersion' | 'httpHost' | 'httpUserAgent'
  | 'httpHeaders' | 'httpFieldRemove' | 'httpCookies' | 'httpPayload'
  | 'tlsSni' | 'identify' | 'vulnCheck' | 'nmapPayloads' | 'pcapPayloads' | 'readscanNumbering' | 'template'
  | 'ntpProbe' | 'rawUdp'
>;

const NTP_PROBES: readonly NtpProbe[] = ['client', 'readvar', 'monlist'];

const HELLO_TYPES: readonly HelloName[] = ['http', 'ssl', 'smbv1'];

function vulnCheck(vuln: string | undefined, heartbleed: boolean, ticketbleed: boolean): VulnCheck | undefined {
  if (vuln === 'heartbleed' || vuln === 'ticketbleed' || vuln === 'poodle') return vuln;
  if (heartbleed) return 'heartbleed';
  if (ticketbleed) return 'ticketbleed';
  return undefined;
}

/** The last value given for raw key `k` (later options override earlier ones), if any. */
export function lastRaw(raw: ReadonlyMap<string, readonly string[]>, k: string): string | undefined {
  const v = raw.get(k);
  return v === undefined || v.length === 0 ? undefined : v[v.length - 1];
}

export function rawOptionFields(raw: ReadonlyMap<string, readonly string[]>): RawOptionFields {
  const last = (k: string): string | undefined => lastRaw(raw, k);
  const all = (k: string): readonly string[] => Object.freeze([...(raw.get(k) ?? [])]);
  const seconds = (k: string, dflt: number, zeroOk: boolean): number => {
    const s = Number(last(k) ?? dflt);
    return Number.isFinite(s) && (s > 0 || (zeroOk && s === 0)) ? s : dflt;
  };
  const helloStrings = new Map<number, Uint8Array>();
  for (const [k, v] of raw) {
    const m = /^hello-string\[(\d+)\]$/.exec(k);
    if (m !== null && v.length > 0) helloStrings.set(Number(m[1]), Uint8Array.from(Buffer.from(v[v.length - 1]!, 'base64')));
  }
  const headers: (readonly [string, string])[] = [];
  for (const h of all('http-header')) {
    const c = h.indexOf(':');
    if (c > 0) headers.push(Object.freeze([h.slice(0, c), h.slice(c + 1)] as const));
  }
  const hello = last('hello');
  const numbering = last('readscan-numbering');
  return {
    connectionTimeout: seconds('connection-timeout', CONNECTION_TIMEOUT_S, false),
    helloTimeout: seconds('hello-timeout', HELLO_TIMEOUT_S, true),
    hello: HELLO_TYPES.find((t) => t === hello),
    helloStrings,
    httpMethod: last('http-method'),
    httpUrl: last('http-url'),
    httpVersion: last('http-version'),
    httpHost: last('http-host'),
    httpUserAgent: last('http-user-agent'),
    httpHeaders: Object.freeze(headers),
    httpFieldRemove: all('http-field-remove'),
    httpCookies: all('http-cookie'),
    httpPayload: last('http-payload'),
    tlsSni: last('tls-sni'),
    identify: last('no-identify') !== 'true',
    // masscan checks one at a time; --vuln names the last one asked for
    vulnCheck: vulnCheck(last('vuln'), last('heartbleed') === 'true', last('ticketbleed') === 'true'),
    nmapPayloads: last('nmap-payloads'),
    pcapPayloads: last('pcap-payloads'),
    // --vuln ntp-monlist: masscan's monlist probe, unless --ntp-probe names another
    ntpProbe: NTP_PROBES.find((t) => t === last('ntp-probe')) ?? (last('vuln') === 'ntp-monlist' ? 'monlist' : 'client'),
    rawUdp: last('rawudp') === 'true',
    template: Object.freeze({
      tcpMss: last('tcp-mss'),
      tcpWscale: last('tcp-wscale'),
      tcpSackok: last('tcp-sackok'),
      tcpTsecho: last('tcp-tsecho'),
      dataLength: Number(last('data-length') ?? 0),
      minPacket: last('min-packet') === undefined ? undefined : Number(last('min-packet')),
      badsum: last('badsum') === 'true',
    }),
    readscanNumbering: numbering === '1.3.2' ? '1.3.2' : numbering === undefined ? undefined : ('head' satisfies AppNumbering),
  };
}
