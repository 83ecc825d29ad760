/**
 * NDJSON format `-oD` (reference §4.5): one JSON object per line, no header or footer, field
 * order as masscan's:
 *   {"ip":…,"timestamp":"…","port":80,"proto":"tcp","rec_type":"status","data":{"status":…,"reason":…,"ttl":64}}
 *   {"ip":…,"timestamp":"…","port":80,"proto":"tcp","rec_type":"banner","data":{"service_name":…,"banner":…}}
 * `timestamp` is a quoted string, as masscan writes it (consumers already parse it so).
 * Serialised with JSON.stringify on objects built in that order; banner escapes as in
 * escape.ts. ARP records with a MAC carry an extra `"mac"` in `data`.
 */
import { bytesToLatin1, jsonMasscanEscapes } from './escape.js';
import type { AppendState, FormatState, OutputFormat } from './format.js';
import { protoName, reasonString } from './format.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, ServiceRecord, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

interface StatusData { status: string; reason: string; ttl: number; mac?: string }

class NdjsonState implements FormatState {
  header(): void {}
  status(w: Sink, r: StatusRecord): void {
    const data: StatusData = { status: r.status, reason: reasonString(r.reason), ttl: r.ttl };
    if (r.mac !== undefined) data.mac = r.mac;
    w.text(JSON.stringify({
      ip: ipToString(r.ip),
      timestamp: String(r.timestamp),
      port: r.port,
      proto: protoName(r.ipProto),
      rec_type: 'status',
      data,
    }) + '\n');
  }
  banner(w: Sink, r: BannerRecord): void {
    w.text(jsonMasscanEscapes(JSON.stringify({
      ip: ipToString(r.ip),
      timestamp: String(r.timestamp),
      port: r.port,
      proto: protoName(r.ipProto),
      rec_type: 'banner',
      data: { service_name: r.service, banner: bytesToLatin1(r.banner), ...r.fields },
    })) + '\n');
  }
  /** Identification (ServiceRecord): `rec_type` `service`, the name and the handshakes spent. */
  service(w: Sink, r: ServiceRecord): void {
    w.text(JSON.stringify({
      ip: ipToString(r.ip),
      timestamp: String(r.timestamp),
      port: r.port,
      proto: protoName(r.ipProto),
      rec_type: 'service',
      data: { service_name: r.service, handshakes: r.handshakes },
    }) + '\n');
  }
  footer(): void {}
  resume(_s: AppendState): void {}
}

export const ndjsonFormat: OutputFormat = {
  name: 'ndjson',
  description: 'one JSON object per line (-oD)',
  extension: '.ndjson',
  alwaysComplete: false,
  create: () => new NdjsonState(),
};
