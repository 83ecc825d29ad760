/**
 * JSON format `-oJ` (reference §4.4): a JSON array in masscan's layout, one record per line
 * and a line holding only `,` between records:
 *   [
 *   {"ip":"10.0.0.1","timestamp":"1700000000","ports":[{"port":80,"proto":"tcp","status":"open","reason":"syn-ack","ttl":64}]}
 *   ,
 *   {"ip":"10.0.0.1","timestamp":"1700000003","ports":[{"port":80,"proto":"tcp","service":{"name":"http","banner":"…"}}]}
 *   ]
 * Keys and their order are masscan's; records are JSON.stringify output, so the spacing
 * inside a record is compact rather than masscan's irregular spaces (same parsed value).
 *
 * Always a complete document (unlike masscan's 0-byte file and its missing `]` after a
 * kill): an empty scan writes `[\n]\n`, and OutputSet writes the `]` on every exit path,
 * signals included. Append continues the array (append-scan.ts).
 */
import { jsonAppendScan } from './append-scan.js';
import { bytesToLatin1, jsonMasscanEscapes } from './escape.js';
import type { AppendState, FormatState, OutputFormat } from './format.js';
import { protoName, reasonString } from './format.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, ServiceRecord, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

interface StatusPort { port: number; proto: string; status: string; reason: string; ttl: number; mac?: string }

class JsonState implements FormatState {
  private count = 0;

  header(w: Sink): void {
    w.text('[\n');
  }
  status(w: Sink, r: StatusRecord): void {
    const port: StatusPort = {
      port: r.port,
      proto: protoName(r.ipProto),
      status: r.status,
      reason: reasonString(r.reason),
      ttl: r.ttl,
    };
    if (r.mac !== undefined) port.mac = r.mac;
    const s = JSON.stringify({ ip: ipToString(r.ip), timestamp: String(r.timestamp), ports: [port] });
    w.text(this.count++ === 0 ? s + '\n' : ',\n' + s + '\n');
  }
  banner(w: Sink, r: BannerRecord): void {
    const s = jsonMasscanEscapes(JSON.stringify({
      ip: ipToString(r.ip),
      timestamp: String(r.timestamp),
      ports: [{
        port: r.port,
        proto: protoName(r.ipProto),
        service: { name: r.service, banner: bytesToLatin1(r.banner), ...r.fields },
      }],
    }));
    w.text(this.count++ === 0 ? s + '\n' : ',\n' + s + '\n');
  }
  /** Identification (ServiceRecord): the port record with its service and the handshakes spent. */
  service(w: Sink, r: ServiceRecord): void {
    const s = JSON.stringify({
      ip: ipToString(r.ip),
      timestamp: String(r.timestamp),
      ports: [{ port: r.port, proto: protoName(r.ipProto), service: { name: r.service, handshakes: r.handshakes } }],
    });
    w.text(this.count++ === 0 ? s + '\n' : ',\n' + s + '\n');
  }
  footer(w: Sink): void {
    w.text(']\n');
  }
  resume(s: AppendState): void {
    if (s.hasRecords) this.count = 1;
  }
}

export const jsonFormat: OutputFormat = {
  name: 'json',
  description: 'a JSON array, one record per line (-oJ)',
  extension: '.json',
  alwaysComplete: true,
  appendScan: jsonAppendScan,
  create: () => new JsonState(),
};
