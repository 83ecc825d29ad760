/**
 * The TLS messages of the vulnerability checks (--heartbleed, --ticketbleed, --vuln poodle):
 * the RFC 6520 heartbeat request and a bounded reader of heartbeat records, and the SSL 3.0
 * ClientHello. The rest of TLS (records, handshakes, hellos, certificates) is tls.ts.
 */
import {
  TLS_HANDSHAKE_HEADER_LEN, TLS_RECORD_HEADER_LEN, TlsContentType, TlsHandshakeType, TlsVersion, Writer, type TlsError,
} from './tls.js';

// Heartbeat (RFC 6520)

export const HeartbeatMessageType = {
  REQUEST: 1,
  RESPONSE: 2,
} as const;

/** RFC 6520 §4: "The padding_length MUST be at least 16." */
export const HEARTBEAT_MIN_PADDING = 16;

/**
 * A heartbeat record (content type 24) holding one HeartbeatMessage. `payloadLength` is the
 * length field as written; `payload` the bytes actually sent. A `payloadLength` above
 * `payload.length` with no padding is the Heartbleed probe: a server that trusts the field
 * answers with that many bytes of its memory (CVE-2014-0160). Otherwise RFC 6520's form:
 * the payload, then `HEARTBEAT_MIN_PADDING` bytes of padding.
 */
export function buildHeartbeatRequest(recordVersion: number, payloadLength: number, payload: Uint8Array): Uint8Array {
  if (payloadLength < 0 || payloadLength > 0xffff) throw new RangeError('heartbeat payload_length is 16 bits');
  const honest = payloadLength === payload.length;
  const msgLen = 3 + payload.length + (honest ? HEARTBEAT_MIN_PADDING : 0);
  const w = new Writer(TLS_RECORD_HEADER_LEN + msgLen);
  w.u8(TlsContentType.HEARTBEAT);
  w.u16(recordVersion);
  w.u16(msgLen);
  w.u8(HeartbeatMessageType.REQUEST);
  w.u16(payloadLength);
  w.bytes(payload);
  // padding: zeros (RFC 6520 §4: random; its content is ignored by the receiver)
  return w.b;
}

/**
 * The cipher suites of our SSLv3 ClientHello (the POODLE check): the CBC suites SSL 3.0 servers
 * offered (RFC 6101 Appendix A.6; the AES ones from RFC 3268, usable in SSL 3.0), then
 * TLS_FALLBACK_SCSV (RFC 7507 §6, 0x5600): a server that knows a higher version and honours
 * the signal answers inappropriate_fallback (86) instead of downgrading.
 */
export const SSL3_CIPHER_SUITES: readonly number[] = [0x0035, 0x002f, 0x000a, 0x0005, 0x0004, 0x5600];

/**
 * An SSL 3.0 ClientHello as one record (RFC 6101 §5.6.1.2): record and client_version 3.0,
 * `random` (32 bytes), no session id, SSL3_CIPHER_SUITES, the null compression method and no
 * extensions (SSL 3.0 has none). A server that still speaks SSL 3.0 answers with a ServerHello
 * of version 3.0; one that does not, with an alert.
 */
export function buildSsl3ClientHello(random: Uint8Array): Uint8Array {
  if (random.length !== 32) throw new RangeError('ClientHello.random must be 32 bytes');
  const bodyLen = 2 + 32 + 1 + 2 + 2 * SSL3_CIPHER_SUITES.length + 2;
  const w = new Writer(TLS_RECORD_HEADER_LEN + TLS_HANDSHAKE_HEADER_LEN + bodyLen);
  w.u8(TlsContentType.HANDSHAKE);
  w.u16(TlsVersion.SSL3);
  w.u16(TLS_HANDSHAKE_HEADER_LEN + bodyLen);
  w.u8(TlsHandshakeType.CLIENT_HELLO);
  w.u24(bodyLen);
  w.u16(TlsVersion.SSL3);
  w.bytes(random);
  w.u8(0);
  w.u16(2 * SSL3_CIPHER_SUITES.length);
  for (const c of SSL3_CIPHER_SUITES) w.u16(c);
  w.u8(1);
  w.u8(0);
  return w.b;
}

/** Where `HeartbeatReader` delivers a heartbeat message. */
export interface HeartbeatSink {
  /** A message's header: its type (1 request, 2 response) and payload_length field. */
  heartbeatStart(type: number, payloadLength: number): void;
  /** Payload bytes, in order, up to payload_length in all (never the padding). */
  heartbeatPayload(buf: Uint8Array, off: number, len: number): void;
  /** The payload is complete (the padding that follows is skipped). */
  heartbeatEnd(): void;
}

/**
 * HeartbeatMessages (RFC 6520 §4) over the fragments of heartbeat records, split anywhere.
 * The payload may continue into the next heartbeat record (an implementation that writes a
 * 16 KiB answer splits it at the record limit); the padding ends with its record. A type
 * other than request or response stops the reader (encrypted or garbage): `error` is set.
 * Never throws; reads only inside the ranges it is given.
 */
export class HeartbeatReader {
  private hdr = 0;
  private type = 0;
  private length = 0;
  private remaining = 0;
  private padding = false;
  error: TlsError | null = null;

  /** A new heartbeat record begins: the padding of the message before it has ended. */
  recordStart(): void {
    if (this.padding) {
      this.padding = false;
      this.hdr = 0;
    }
  }

  /** Fragment bytes of a heartbeat record; false once stopped. */
  push(buf: Uint8Array, off: number, len: number, sink: HeartbeatSink): boolean {
    if (this.error !== null) return false;
    if (off < 0 || len < 0 || off + len > buf.length) {
      this.error = 'truncated';
      return false;
    }
    let i = off;
    const end = off + len;
    while (i < end) {
      if (this.padding) return true; // the rest of this record is padding
      if (this.hdr < 3) {
        const b = buf[i++];
        if (this.hdr === 0) {
          if (b !== HeartbeatMessageType.REQUEST && b !== HeartbeatMessageType.RESPONSE) {
            this.error = 'malformed';
            return false;
          }
          this.type = b;
          this.length = 0;
        } else {
          this.length = (this.length << 8) | b;
        }
        this.hdr++;
        if (this.hdr === 3) {
          this.remaining = this.length;
          sink.heartbeatStart(this.type, this.length);
          if (this.remaining === 0) {
            this.padding = true;
            sink.heartbeatEnd();
          }
        }
        continue;
      }
      const n = Math.min(end - i, this.remaining);
      sink.heartbeatPayload(buf, i, n);
      i += n;
      this.remaining -= n;
      if (this.remaining === 0) {
        this.padding = true;
        sink.heartbeatEnd();
      }
    }
    return true;
  }
}
