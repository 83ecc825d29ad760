/**
 * XML format `-oX`: nmap's XML, valid against nmap.dtd (xmllint --dtdvalid
 * /usr/share/nmap/nmap.dtd), so that nmap.xsl and nmap-XML tools read it. Lines end in `\r\n`
 * like masscan's. Where masscan's XML breaks the DTD we follow the DTD:
 * - `<nmaprun scanner="nmap" …>` (the DTD allows no other value; the comment on line 2 names
 *   tidescan), with `args`, `start`, `startstr`, and the required <verbose>/<debugging>.
 * - <scaninfo> per scanned protocol with `numservices` and `services` (nmap's port list).
 * - every <host> starts with <status state="up" …> (a reply proves it is up).
 * - addrtype is "ipv6" for IPv6 addresses (masscan always says "ipv4").
 * - a banner is `<service name="…" conf="10" method="probed"/>` followed by
 *   `<script id="banner" output="…"/>` (masscan's `banner` attribute on <service> is not in
 *   the DTD); the output text is masscan's `\xNN` escaping, pure ASCII with no XML
 *   metacharacters left.
 * - ICMP echo replies are host-only entries (`reason="echo-reply"`), ARP replies are host-only
 *   with the MAC as a second <address addrtype="mac">; protocols other than tcp/udp/sctp are
 *   `protocol="ip"` ports numbered by IP protocol (nmap's -sO form).
 * Always a complete document (an empty scan is a valid empty nmaprun). <hosts up/down> count
 * records: up = open (and ARP/ICMP up), down = closed; appending adds the previous counts.
 */
import { xmlAppendScan } from './append-scan.js';
import type { AppendState, FormatOptions, FormatState, OutputFormat, ScanMeta } from './format.js';
import { classRanges, gmtimeC, localTimestr, PORT_CLASSES, reasonString } from './format.js';
import { xmlAttr } from './escape.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, IpAddress, ServiceRecord, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

function portProtocol(ipProto: number): string | undefined {
  return ipProto === 6 ? 'tcp' : ipProto === 17 ? 'udp' : ipProto === 132 ? 'sctp' : undefined;
}

function address(ip: IpAddress): string {
  return `<address addr="${ipToString(ip)}" addrtype="${ip.version === 4 ? 'ipv4' : 'ipv6'}"/>`;
}

/** nmap's services attribute: `80,443,8000-8002` (plain port numbers). */
function servicesList(ranges: readonly { begin: number; end: number }[], base: number): { n: number; s: string } {
  let n = 0;
  const parts: string[] = [];
  for (const r of ranges) {
    n += r.end - r.begin + 1;
    parts.push(r.begin === r.end ? String(r.begin - base) : `${r.begin - base}-${r.end - base}`);
  }
  return { n, s: parts.join(',') };
}

class XmlState implements FormatState {
  private up = 0;
  private down = 0;

  constructor(
    private readonly meta: ScanMeta,
    private readonly stylesheet: string | undefined,
  ) {}

  header(w: Sink): void {
    const m = this.meta;
    let s = '<?xml version="1.0"?>\r\n';
    s += `<!-- tidescan ${xmlAttr(m.version).replace(/--/g, '- -')} scan -->\r\n`;
    if (this.stylesheet !== undefined) {
      s += `<?xml-stylesheet href="${xmlAttr(this.stylesheet)}" type="text/xsl"?>\r\n`;
    }
    s += `<nmaprun scanner="nmap" args="${xmlAttr(m.commandLine)}" start="${m.startTime}" ` +
      `startstr="${gmtimeC(m.startTime)}" version="${xmlAttr(m.version)}" xmloutputversion="1.03">\r\n`;
    let any = false;
    for (const c of PORT_CLASSES) {
      const list = classRanges(m.portsScanned, c.base, c.end);
      if (list.length === 0) continue;
      any = true;
      const { n, s: services } = servicesList(list, c.base);
      s += `<scaninfo type="${c.scan}" protocol="${c.proto}" numservices="${n}" services="${services}"/>\r\n`;
    }
    if (!any) s += '<scaninfo type="syn" protocol="tcp" numservices="0" services=""/>\r\n';
    s += '<verbose level="0"/>\r\n<debugging level="0"/>\r\n';
    w.text(s);
  }

  status(w: Sink, r: StatusRecord): void {
    const reason = reasonString(r.reason);
    if (r.status === 'closed') this.down++;
    else this.up++;
    const proto = portProtocol(r.ipProto);
    if (r.ipProto === 0) {
      // ARP: nmap's host-discovery form.
      const mac = r.mac === undefined ? '' : `<address addr="${xmlAttr(r.mac)}" addrtype="mac"/>`;
      w.text(`<host endtime="${r.timestamp}"><status state="up" reason="arp-response" reason_ttl="${r.ttl}"/>` +
        `${address(r.ip)}${mac}</host>\r\n`);
      return;
    }
    if (r.ipProto === 1 || r.ipProto === 58) {
      // ICMP "port" 1 is a timestamp reply (I:1); 0 an echo reply.
      const reason = r.ipProto === 1 && r.port === 1 ? 'timestamp-reply' : 'echo-reply';
      w.text(`<host endtime="${r.timestamp}"><status state="up" reason="${reason}" reason_ttl="${r.ttl}"/>` +
        `${address(r.ip)}</host>\r\n`);
      return;
    }
    const port = proto === undefined
      ? `<port protocol="ip" portid="${r.ipProto}">`
      : `<port protocol="${proto}" portid="${r.port}">`;
    w.text(`<host endtime="${r.timestamp}"><status state="up" reason="${reason}" reason_ttl="${r.ttl}"/>` +
      `${address(r.ip)}<ports>${port}<state state="${r.status}" reason="${reason}" reason_ttl="${r.ttl}"/>` +
      `</port></ports></host>\r\n`);
  }

  banner(w: Sink, r: BannerRecord): void {
    const proto = portProtocol(r.ipProto);
    const port = proto === undefined
      ? `<port protocol="ip" portid="${r.ipProto}">`
      : `<port protocol="${proto}" portid="${r.port}">`;
    w.text(`<host endtime="${r.timestamp}"><status state="up" reason="response" reason_ttl="${r.ttl}"/>` +
      `${address(r.ip)}<ports>${port}<state state="open" reason="response" reason_ttl="${r.ttl}"/>` +
      `<service name="${xmlAttr(r.service)}" conf="10" method="probed"/><script id="banner" output="`);
    w.escaped(r.banner);
    w.text('"/></port></ports></host>\r\n');
  }

  /** Identification (ServiceRecord): the open port with nmap's `<service name=…>`, no script. */
  service(w: Sink, r: ServiceRecord): void {
    const proto = portProtocol(r.ipProto) ?? 'tcp';
    w.text(`<host endtime="${r.timestamp}"><status state="up" reason="response" reason_ttl="${r.ttl}"/>` +
      `${address(r.ip)}<ports><port protocol="${proto}" portid="${r.port}"><state state="open" reason="response" reason_ttl="${r.ttl}"/>` +
      `<service name="${xmlAttr(r.service)}" conf="10" method="probed"/></port></ports></host>\r\n`);
  }

  footer(w: Sink, nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    const elapsed = Math.max(0, now - this.meta.startTime);
    w.text('<runstats>\r\n' +
      `<finished time="${now}" timestr="${localTimestr(now)}" elapsed="${elapsed}" exit="success"/>\r\n` +
      `<hosts up="${this.up}" down="${this.down}" total="${this.up + this.down}"/>\r\n` +
      '</runstats>\r\n</nmaprun>\r\n');
  }

  resume(s: AppendState): void {
    this.up += s.up ?? 0;
    this.down += s.down ?? 0;
  }
}

export const xmlFormat: OutputFormat = {
  name: 'xml',
  description: "nmap's XML format, valid against nmap.dtd (-oX)",
  extension: '.xml',
  alwaysComplete: true,
  appendScan: xmlAppendScan,
  create: (meta: ScanMeta, opts: FormatOptions) => new XmlState(meta, opts.stylesheet),
};
