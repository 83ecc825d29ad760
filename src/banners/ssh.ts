/**
 * SSH banners (reference masscan-compat §9.3 "SSH (HEAD)", §9.4; RFC 4253).
 *
 * The server speaks first with its identification line. We then send ours and a KEXINIT (as
 * masscan HEAD does; we send no DH init: the server's KEXINIT does not wait for it), read the
 * server's first binary packet, its KEXINIT, and close.
 *
 * The `ssh` banner is the ident line as received, CR/LF included (HEAD's behaviour), followed
 * by the server's ten KEXINIT name-lists as readable text, `name=list` separated by one space,
 * in RFC 4253 §7.1 order, e.g.
 *   `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\nkex_algorithms=curve25519-sha256,...
 *    server_host_key_algorithms=... encryption_algorithms_client_to_server=... ...
 *    languages_server_to_client=`
 * NOTE: this differs from masscan HEAD, which appends every received byte of the KEXINIT
 * packet raw (lengths, cookie, padding: `\xNN` soup after escaping); 1.3.2 kept only the ident
 * line without CR/LF. Ours keeps the same facts in a form a person or a grep can read.
 *
 * It also gives the HASSH server fingerprint (Salesforce's HASSHServer): the md5, in hex, of
 * `kex_algorithms;encryption_algorithms_server_to_client;mac_algorithms_server_to_client;
 * compression_algorithms_server_to_client`, as the `ssh` record's fields `hassh` and
 * `hasshAlgorithms` (that string).
 *
 * Bounded: an ident line longer than RFC 4253's 255 bytes, more than 8 KiB of lines before
 * it, a packet_length over 35000 or a malformed KEXINIT end the conversation with the ident
 * (or what came of it) kept; nothing throws.
 */
import { createHash } from 'node:crypto';
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';

/** The ten name-lists of a KEXINIT, in order (RFC 4253 §7.1). */
export const KEXINIT_LISTS = [
  'kex_algorithms',
  'server_host_key_algorithms',
  'encryption_algorithms_client_to_server',
  'encryption_algorithms_server_to_client',
  'mac_algorithms_client_to_server',
  'mac_algorithms_server_to_client',
  'compression_algorithms_client_to_server',
  'compression_algorithms_server_to_client',
  'languages_client_to_server',
  'languages_server_to_client',
] as const;

export const SSH_LIMITS = {
  /** RFC 4253 §4.2: "The maximum length of the string is 255 characters, including the Carriage Return and Line Feed." */
  identLine: 255,
  /** Lines the server may send before its ident (RFC 4253 §4.2 allows them): total bytes. */
  preamble: 8192,
  /** RFC 4253 §6.1: "... a total packet size of 35000 bytes or less". */
  packet: 35000,
  /** Packets other than KEXINIT (IGNORE, DEBUG) skipped before we give up. */
  skippedPackets: 4,
} as const;

const SSH_MSG_IGNORE = 2;
const SSH_MSG_DEBUG = 4;
const SSH_MSG_KEXINIT = 20;

/** Our ident: softwareversion must be printable US-ASCII without spaces or minus signs (RFC 4253 §4.2). */
export function sshIdent(productVersion: string): string {
  return `SSH-2.0-tidescan_${productVersion.replace(/[^\x21-\x2c\x2e-\x7e]/g, '_')}\r\n`;
}

// What our KEXINIT offers: common algorithms, so the server answers with its own KEXINIT
// (it would anyway: each side sends KEXINIT without waiting for the other's, RFC 4253 §7.1).
const OUR_LISTS = [
  'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256',
  'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-rsa',
  'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes128-ctr,aes256-ctr',
  'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes128-ctr,aes256-ctr',
  'hmac-sha2-256-etm@openssh.com,hmac-sha2-256,hmac-sha1',
  'hmac-sha2-256-etm@openssh.com,hmac-sha2-256,hmac-sha1',
  'none',
  'none',
  '',
  '',
];

/**
 * Our ident line and KEXINIT packet (unencrypted, no MAC: RFC 4253 §6 before the first
 * NEWKEYS). `cookie` is 16 random bytes.
 */
export function sshClientHello(productVersion: string, cookie: Uint8Array): Uint8Array {
  const ident = Buffer.from(sshIdent(productVersion), 'latin1');
  const parts: Buffer[] = [Buffer.from([SSH_MSG_KEXINIT]), Buffer.from(cookie.subarray(0, 16))];
  for (const l of OUR_LISTS) {
    const b = Buffer.from(l, 'latin1');
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    parts.push(n, b);
  }
  parts.push(Buffer.from([0, 0, 0, 0, 0])); // first_kex_packet_follows FALSE, reserved 0
  const payload = Buffer.concat(parts);
  // RFC 4253 §6: "the length of the concatenation of 'packet_length', 'padding_length',
  // 'payload', and 'random padding' MUST be a multiple of the cipher block size or 8"
  // and "There MUST be at least four bytes of padding."
  let pad = 8 - ((4 + 1 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const pkt = Buffer.alloc(4 + 1 + payload.length + pad);
  pkt.writeUInt32BE(1 + payload.length + pad, 0);
  pkt[4] = pad;
  payload.copy(pkt, 5);
  return Uint8Array.from(Buffer.concat([ident, pkt]));
}

/** The server's KEXINIT name-lists, or null when the payload is malformed. */
export function parseKexinit(p: Uint8Array, off: number, len: number): string[] | null {
  if (off < 0 || len < 0 || off + len > p.length) return null;
  const end = off + len;
  let i = off;
  if (len < 17 || p[i] !== SSH_MSG_KEXINIT) return null;
  i += 17; // message number, cookie
  const lists: string[] = [];
  for (let k = 0; k < KEXINIT_LISTS.length; k++) {
    if (end - i < 4) return null;
    const n = ((p[i]! << 24) | (p[i + 1]! << 16) | (p[i + 2]! << 8) | p[i + 3]!) >>> 0;
    i += 4;
    if (n > end - i) return null;
    lists.push(Buffer.from(p.buffer, p.byteOffset + i, n).toString('latin1'));
    i += n;
  }
  // first_kex_packet_follows and reserved are not needed: their absence is tolerated
  return lists;
}

/** The HASSH server fingerprint string of parsed KEXINIT lists (see the file comment). */
export function hasshAlgorithms(lists: readonly string[]): string {
  return `${lists[0]};${lists[3]};${lists[5]};${lists[7]}`;
}

const enum S {
  Ident,
  PacketHead,
  MsgType,
  Kexinit,
  Skip,
  Done,
}

class SshParser implements BannerParser {
  private state = S.Ident;
  /** The current line: its length, and whether it starts `SSH-` (1), cannot (-1), or undecided (0). */
  private lineLen = 0;
  private lineIsIdent = 0;
  /** Bytes of the line's start, to tell `SSH-1.99` from `SSH-1.5`. */
  private readonly head = new Uint8Array(8);
  private preamble = 0;
  private readonly hdr = new Uint8Array(5);
  private hdrLen = 0;
  private skipLeft = 0;
  private skipped = 0;
  /** Bytes of the current packet after its padding_length byte, and of its payload. */
  private packetLeft = 0;
  private packetPayload = 0;
  private payload: Uint8Array | null = null;
  private payloadLen = 0;

  constructor(private readonly out: BannerOut, private readonly conv: Conversation, private readonly hello: Uint8Array) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    let i = off;
    const end = off + len;
    while (i < end && this.state !== S.Done) {
      switch (this.state) {
        case S.Ident: i = this.ident(buf, i, end); break;
        case S.PacketHead: {
          this.hdr[this.hdrLen++] = buf[i++]!;
          if (this.hdrLen === 5) this.packetHead();
          break;
        }
        case S.MsgType: this.msgType(buf[i++]!); break;
        case S.Kexinit: {
          const p = this.payload!;
          const n = Math.min(end - i, p.length - this.payloadLen);
          for (let k = 0; k < n; k++) p[this.payloadLen + k] = buf[i + k]!;
          this.payloadLen += n;
          i += n;
          if (this.payloadLen === this.payload!.length) this.kexinit();
          break;
        }
        case S.Skip: {
          const n = Math.min(end - i, this.skipLeft);
          this.skipLeft -= n;
          i += n;
          if (this.skipLeft === 0) { this.state = S.PacketHead; this.hdrLen = 0; }
          break;
        }
      }
    }
  }

  end(): void {
    this.state = S.Done;
    this.payload = null;
  }

  private finish(): void {
    this.state = S.Done;
    this.payload = null;
    this.conv.close();
  }

  /** Ident-phase bytes [i, end): each goes to the banner; returns where the phase ended. */
  private ident(buf: Uint8Array, i: number, end: number): number {
    const start = i;
    while (i < end) {
      const b = buf[i++]!;
      if (this.lineLen < this.head.length) this.head[this.lineLen] = b;
      this.lineLen++;
      if (this.lineIsIdent === 0 && this.lineLen <= 4) {
        if (b !== 'SSH-'.charCodeAt(this.lineLen - 1)) this.lineIsIdent = -1;
        else if (this.lineLen === 4) this.lineIsIdent = 1;
      }
      if (this.lineIsIdent === 1 && this.lineLen > SSH_LIMITS.identLine) {
        // over-long ident: keep its first 255 bytes
        this.out.append('ssh', buf, start, i - 1 - start);
        this.finish();
        return end;
      }
      if (this.lineIsIdent !== 1) {
        this.preamble++;
        if (this.preamble > SSH_LIMITS.preamble) {
          this.out.append('ssh', buf, start, i - 1 - start);
          this.finish();
          return end;
        }
      }
      if (b === 0x0a) {
        if (this.lineIsIdent === 1) {
          this.out.append('ssh', buf, start, i - start);
          this.identDone();
          return i;
        }
        this.lineLen = 0;
        this.lineIsIdent = 0;
      }
    }
    this.out.append('ssh', buf, start, i - start);
    return i;
  }

  private identDone(): void {
    // `SSH-1.99` speaks both versions; `SSH-1.x` otherwise is version 1 only, which has no
    // KEXINIT: the ident is all we get.
    const h = this.head;
    const v2 = h[4] === 0x32 || (h[4] === 0x31 && h[5] === 0x2e && h[6] === 0x39 && h[7] === 0x39);
    if (!v2) {
      this.finish();
      return;
    }
    this.conv.send(this.hello);
    this.state = S.PacketHead;
    this.hdrLen = 0;
  }

  private packetHead(): void {
    const h = this.hdr;
    const plen = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
    const pad = h[4]!;
    // RFC 4253 §6: "There MUST be at least four bytes of padding"; §6.1 caps the packet at
    // 35000 bytes. Anything else is not an SSH packet we will read: keep the ident and stop.
    if (plen > SSH_LIMITS.packet || pad < 4 || plen < pad + 2) {
      this.finish();
      return;
    }
    this.packetLeft = plen - 1; // payload and padding
    this.packetPayload = plen - pad - 1;
    this.state = S.MsgType;
  }

  /** The first payload byte: KEXINIT is read, IGNORE/DEBUG skipped, anything else ends it. */
  private msgType(t: number): void {
    if (t === SSH_MSG_KEXINIT) {
      this.payload = new Uint8Array(this.packetPayload);
      this.payload[0] = t;
      this.payloadLen = 1;
      this.state = S.Kexinit;
      if (this.payloadLen === this.payload.length) this.kexinit();
      return;
    }
    if ((t === SSH_MSG_IGNORE || t === SSH_MSG_DEBUG) && this.skipped < SSH_LIMITS.skippedPackets) {
      this.skipped++;
      this.skipLeft = this.packetLeft - 1;
      this.state = S.Skip;
      if (this.skipLeft === 0) { this.state = S.PacketHead; this.hdrLen = 0; }
      return;
    }
    this.finish();
  }

  private kexinit(): void {
    const p = this.payload!;
    const lists = parseKexinit(p, 0, p.length);
    if (lists !== null) {
      let s = '';
      for (let k = 0; k < lists.length; k++) s += `${k === 0 ? '' : ' '}${KEXINIT_LISTS[k]}=${lists[k]}`;
      this.out.appendText('ssh', s);
      const algos = hasshAlgorithms(lists);
      this.out.field('ssh', 'hassh', createHash('md5').update(algos, 'latin1').digest('hex'));
      this.out.field('ssh', 'hasshAlgorithms', algos);
    }
    this.finish();
  }
}

/** The `ssh` module for one scan. */
export function sshModule(productVersion: string, cookie: Uint8Array): BannerModule {
  const hello = sshClientHello(productVersion, cookie);
  return {
    name: 'ssh',
    // SSH servers speak first: no probe.
    hello: (_t: TargetInfo) => null,
    open: (_t, out, conv) => new SshParser(out, conv, hello),
  };
}

export const SSH_APPS: readonly AppName[] = ['ssh'];
