/**
 * The wire layer: byte views and parsed reprs of the protocols a scanner sends and receives,
 * checksums, the receive-path decoder and the tcpdump-style printer. No state, no I/O; imports
 * nothing from src/ but error.ts (DESIGN.md §2).
 *
 * Each protocol file has the same shape (smoltcp's wire/, DESIGN.md §4.1):
 * - `XxxPacket`: a view over `buf[off .. off+len)` that copies nothing. `checkLen()` returns
 *   null once every accessor is proven to read inside the view, or a WireError; call it before
 *   reading untrusted bytes. Setters write without checks (the caller sized the buffer).
 * - `XxxField`: the byte offsets, named once.
 * - `XxxRepr`: a plain object of what differs between packets; `parseXxx(view)` (checks
 *   lengths and, where asked, checksums; returns a WireError rather than throwing),
 *   `xxxBufferLen(repr)`/`xxxHeaderLen(repr)`, `emitXxx(repr, view)` into the caller's buffer.
 * - Unknown protocol numbers stay numbers.
 */
export * from './bytes.js';
export * from './checksum.js';
export * from './wire-error.js';
export * from './ip.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './tcp.js';
export * from './udp.js';
export * from './icmpv4.js';
export * from './icmpv6.js';
export * from './sctp.js';
export * from './decode.js';
export * from './pretty.js';
