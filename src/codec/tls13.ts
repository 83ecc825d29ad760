/**
 * TLS 1.3's key schedule up to the server's handshake traffic keys (RFC 8446 §7.1, §7.3), and
 * the decryption of the server's protected handshake records (§5.2, §5.3): what it takes to
 * read a TLS 1.3 server's Certificate, which 1.3 encrypts.
 *
 * Only `node:crypto` primitives: X25519/ECDH through `diffieHellman`, HMAC for HKDF, and the
 * AEADs through `createDecipheriv` (tags checked). No `node:tls`: a session of it costs
 * 57-88 KB, too much for a million connections (DESIGN.md §3, "Banner stack").
 *
 * Cost per connection: one ECDH, one transcript hash, four HMACs (handshake secret, server
 * handshake traffic secret, key, iv) and one AEAD per record. The early secret and the
 * "derived" secret do not depend on the connection (no PSK) and are computed once per hash.
 */
import {
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { TLS_RECORD_HEADER_LEN, TlsContentType, TlsGroup, type TlsError } from './tls.js';

export type Tls13Hash = 'sha256' | 'sha384';
export type Tls13Aead = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface Tls13Suite {
  readonly id: number;
  readonly hash: Tls13Hash;
  readonly hashLen: number;
  readonly aead: Tls13Aead;
  readonly keyLen: number;
}

/** RFC 8446 §B.4. (TLS_AES_128_CCM_* are not offered, so never chosen.) */
export const TLS13_SUITES: readonly Tls13Suite[] = [
  { id: 0x1301, hash: 'sha256', hashLen: 32, aead: 'aes-128-gcm', keyLen: 16 },
  { id: 0x1302, hash: 'sha384', hashLen: 48, aead: 'aes-256-gcm', keyLen: 32 },
  { id: 0x1303, hash: 'sha256', hashLen: 32, aead: 'chacha20-poly1305', keyLen: 32 },
];

export function tls13Suite(id: number): Tls13Suite | null {
  for (const s of TLS13_SUITES) if (s.id === id) return s;
  return null;
}

/** The AEAD tag length of all three suites (RFC 8446 §5.2; RFC 5116, RFC 8439). */
export const TLS13_TAG_LEN = 16;
export const TLS13_IV_LEN = 12;

// --- HKDF (RFC 5869) and the TLS 1.3 labels (RFC 8446 §7.1) ---

export function hkdfExtract(hash: Tls13Hash, salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac(hash, salt).update(ikm).digest();
}

/** HKDF-Expand-Label(secret, label, context, length); `label` without the "tls13 " prefix. */
export function hkdfExpandLabel(hash: Tls13Hash, secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  // struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
  const full = 6 + label.length;
  const info = Buffer.allocUnsafe(2 + 1 + full + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = full;
  info.write('tls13 ', 3, 'latin1');
  info.write(label, 9, 'latin1');
  info[3 + full] = context.length;
  info.set(context, 4 + full);
  // HKDF-Expand: T(i) = HMAC(PRK, T(i-1) | info | i). Every length TLS 1.3 asks of it here fits
  // one block (key <= 32, iv 12, secrets = hash length); the loop stays general anyway.
  const hashLen = hash === 'sha256' ? 32 : 48;
  const out = Buffer.allocUnsafe(length);
  let prev: Buffer | null = null;
  for (let i = 1, done = 0; done < length; i++) {
    const h = createHmac(hash, secret);
    if (prev !== null) h.update(prev);
    h.update(info);
    h.update(Uint8Array.of(i));
    prev = h.digest();
    const n = Math.min(hashLen, length - done);
    prev.copy(out, done, 0, n);
    done += n;
  }
  return out;
}

/** Derive-Secret(secret, label, messages), with the transcript hash already taken. */
export function deriveSecret(hash: Tls13Hash, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hash === 'sha256' ? 32 : 48);
}

/** Hash of the empty string, the context of Derive-Secret(., "derived", ""). */
function emptyHash(hash: Tls13Hash): Buffer {
  return createHash(hash).digest();
}

const earlyCache = new Map<Tls13Hash, { early: Buffer; derived: Buffer }>();

/**
 * Early Secret = HKDF-Extract(0, 0) with no PSK (RFC 8446 §7.1: "If a given secret is not
 * available, then the 0-value consisting of a string of Hash.length bytes set to zeros is
 * used"), and Derive-Secret(early, "derived", ""): the salt of the handshake secret. Constant
 * per hash, computed once.
 */
export function earlySecrets(hash: Tls13Hash): { readonly early: Buffer; readonly derived: Buffer } {
  let e = earlyCache.get(hash);
  if (e === undefined) {
    const zeros = new Uint8Array(hash === 'sha256' ? 32 : 48);
    const early = hkdfExtract(hash, zeros, zeros);
    const derived = deriveSecret(hash, early, 'derived', emptyHash(hash));
    e = { early, derived };
    earlyCache.set(hash, e);
  }
  return e;
}

/** Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE). */
export function handshakeSecret(hash: Tls13Hash, shared: Uint8Array): Buffer {
  return hkdfExtract(hash, earlySecrets(hash).derived, shared);
}

export interface Tls13TrafficKeys {
  /** server_handshake_traffic_secret */
  readonly secret: Buffer;
  readonly key: Buffer;
  readonly iv: Buffer;
}

/** [sender]_write_key and _iv from a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(suite: Tls13Suite, secret: Buffer): Tls13TrafficKeys {
  return {
    secret,
    key: hkdfExpandLabel(suite.hash, secret, 'key', new Uint8Array(0), suite.keyLen),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', new Uint8Array(0), TLS13_IV_LEN),
  };
}

/**
 * The server's handshake keys from the (EC)DHE shared secret and the transcript hash of
 * ClientHello..ServerHello (RFC 8446 §7.1: "s hs traffic").
 */
export function serverHandshakeKeys(suite: Tls13Suite, shared: Uint8Array, transcriptHash: Uint8Array): Tls13TrafficKeys {
  const hs = handshakeSecret(suite.hash, shared);
  return trafficKeys(suite, deriveSecret(suite.hash, hs, 's hs traffic', transcriptHash));
}

/**
 * The synthetic message that replaces ClientHello1 in the transcript after a HelloRetryRequest
 * (RFC 8446 §4.4.1): handshake type message_hash (254), a 3-byte length, Hash(ClientHello1).
 */
export function messageHashMessage(hash: Tls13Hash, clientHello1: Uint8Array): Buffer {
  const h = createHash(hash).update(clientHello1).digest();
  const m = Buffer.allocUnsafe(4 + h.length);
  m[0] = 254;
  m[1] = 0;
  m[2] = 0;
  m[3] = h.length;
  h.copy(m, 4);
  return m;
}

// --- record protection (RFC 8446 §5.2, §5.3) ---

export interface Tls13Plaintext {
  /** TLSInnerPlaintext.type: the real content type. */
  readonly type: number;
  /** TLSInnerPlaintext.content, padding and type stripped. */
  readonly content: Buffer;
}

export type Tls13DecryptError = TlsError | 'bad-tag';

/**
 * Reads the server's protected records in order, one traffic key. The per-record nonce is the
 * iv XOR the 64-bit record sequence number, left-padded (§5.3).
 */
export class Tls13RecordDecrypter {
  private seq = 0;
  private readonly nonce: Buffer;

  constructor(
    private readonly suite: Tls13Suite,
    private readonly key: Buffer,
    private readonly iv: Buffer,
  ) {
    this.nonce = Buffer.allocUnsafe(TLS13_IV_LEN);
  }

  /** Records read so far (the next record's sequence number). */
  get sequence(): number {
    return this.seq;
  }

  /**
   * Decrypt one whole protected record: its 5-byte header (the additional data) followed by
   * the encrypted_record. The sequence number advances only when the tag checks.
   */
  decrypt(record: Uint8Array): Tls13Plaintext | Tls13DecryptError {
    if (record.length < TLS_RECORD_HEADER_LEN + TLS13_TAG_LEN + 1) return 'truncated';
    const len = (record[3] << 8) | record[4];
    if (TLS_RECORD_HEADER_LEN + len !== record.length) return 'malformed';
    // RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes."
    if (len > 16384 + 256) return 'malformed';
    if (record[0] !== TlsContentType.APPLICATION_DATA) return 'malformed';
    const nonce = this.nonce;
    this.iv.copy(nonce);
    // The sequence number is below 2^53; the bytes above 2^32 stay zero in practice.
    let s = this.seq;
    for (let i = TLS13_IV_LEN - 1; i >= TLS13_IV_LEN - 6 && s > 0; i--) {
      nonce[i] ^= s & 0xff;
      s = Math.floor(s / 256);
    }
    const tagAt = record.length - TLS13_TAG_LEN;
    let plain: Buffer;
    try {
      // The three AEADs share one decipher interface; the cast only picks the overload.
      const d = createDecipheriv(this.suite.aead as 'aes-128-gcm', this.key, nonce, { authTagLength: TLS13_TAG_LEN });
      d.setAAD(record.subarray(0, TLS_RECORD_HEADER_LEN));
      d.setAuthTag(record.subarray(tagAt));
      const a = d.update(record.subarray(TLS_RECORD_HEADER_LEN, tagAt));
      const b = d.final();
      plain = b.length === 0 ? a : Buffer.concat([a, b]);
    } catch {
      return 'bad-tag';
    }
    this.seq++;
    // TLSInnerPlaintext: content || type || zeros. §5.4: "If a receiving implementation does
    // not find a non-zero octet in the cleartext, it MUST terminate the connection with an
    // "unexpected_message" alert."
    let i = plain.length - 1;
    while (i >= 0 && plain[i] === 0) i--;
    if (i < 0) return 'malformed';
    return { type: plain[i], content: plain.subarray(0, i) };
  }
}

// --- the scan's key pairs ---

/** A raw public value as a JWK (RFC 8037 for X25519; RFC 7518 for the uncompressed NIST point). */
function peerJwk(group: number, peer: Uint8Array): { kty: string; crv: string; x: string; y?: string } {
  const b = Buffer.from(peer.buffer, peer.byteOffset, peer.length);
  if (group === TlsGroup.X25519) return { kty: 'OKP', crv: 'X25519', x: b.toString('base64url') };
  // SEC 1 §2.3.3: 0x04 || X || Y (uncompressed); compressed points are not allowed in TLS 1.3
  // (RFC 8446 §4.2.8.2).
  if (b[0] !== 4) throw new RangeError('not an uncompressed point');
  const n = (b.length - 1) / 2;
  return { kty: 'EC', crv: group === TlsGroup.SECP256R1 ? 'P-256' : 'P-384', x: b.toString('base64url', 1, 1 + n), y: b.toString('base64url', 1 + n) };
}

/** DER prefixes that wrap a raw public value into SubjectPublicKeyInfo. */
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const SPKI_P256 = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const SPKI_P384 = Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex');
/** PKCS#8 prefix of a raw X25519 private key (RFC 8410). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

interface GroupKey {
  readonly group: number;
  readonly priv: KeyObject;
  readonly pub: Uint8Array;
  readonly spki: Buffer;
  readonly pubLen: number;
}

function groupKey(group: number, priv: KeyObject, pubKey: KeyObject, spki: Buffer): GroupKey {
  const der = pubKey.export({ format: 'der', type: 'spki' });
  const pub = new Uint8Array(der.subarray(spki.length));
  return { group, priv, pub, spki, pubLen: pub.length };
}

/**
 * One key pair per group for the whole scan, prepared once: X25519 (sent in every first
 * ClientHello), and P-256 / P-384 for a server that answers with a HelloRetryRequest asking for
 * one of them. Reusing the key across connections is what makes TLS 1.3 affordable at scan
 * rates; we only ever read what servers send, so no secrecy rests on it.
 */
export class TlsScanKeys {
  private constructor(private readonly keys: readonly GroupKey[]) {}

  /** Fresh keys (node:crypto's CSPRNG). */
  static generate(): TlsScanKeys {
    const x = generateKeyPairSync('x25519');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    return new TlsScanKeys([
      groupKey(TlsGroup.X25519, x.privateKey, x.publicKey, SPKI_X25519),
      groupKey(TlsGroup.SECP256R1, p256.privateKey, p256.publicKey, SPKI_P256),
      groupKey(TlsGroup.SECP384R1, p384.privateKey, p384.publicKey, SPKI_P384),
    ]);
  }

  /** Keys with a given X25519 private key (test vectors, recorded flights); NIST keys fresh. */
  static fromX25519Private(raw: Uint8Array): TlsScanKeys {
    if (raw.length !== 32) throw new RangeError('an X25519 private key is 32 bytes');
    const priv = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
    const pub = createPublicKey(priv);
    const fresh = TlsScanKeys.generate();
    return new TlsScanKeys([groupKey(TlsGroup.X25519, priv, pub, SPKI_X25519), ...fresh.keys.slice(1)]);
  }

  /** Our public value for `group`, or null when we have no key for it. */
  publicKey(group: number): Uint8Array | null {
    for (const k of this.keys) if (k.group === group) return k.pub;
    return null;
  }

  /**
   * The (EC)DHE shared secret with a server's public value, or null when the group is not ours
   * or the value is invalid (wrong length, not on the curve, a low-order X25519 point giving
   * the all-zero secret: RFC 8446 §7.4.2 "MUST check whether the computed Diffie-Hellman
   * shared secret is the all-zero value and abort if so").
   */
  sharedSecret(group: number, peer: Uint8Array): Buffer | null {
    let k: GroupKey | null = null;
    for (const c of this.keys) if (c.group === group) k = c;
    if (k === null || peer.length !== k.pubLen) return null;
    try {
      // NOTE: a JWK import is several times cheaper than the same key as DER SPKI (measured
      // about 13 against 100 µs on node 20): it skips the ASN.1 decoder.
      const publicKey = createPublicKey({ key: peerJwk(k.group, peer), format: 'jwk' });
      const s = diffieHellman({ privateKey: k.priv, publicKey });
      let z = 0;
      for (let i = 0; i < s.length; i++) z |= s[i];
      return z === 0 ? null : s;
    } catch {
      return null;
    }
  }
}
