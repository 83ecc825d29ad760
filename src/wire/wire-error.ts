/**
 * Why a packet was refused. Every parser of untrusted bytes in `src/wire` returns one of
 * these instead of throwing, so the receive path can count drops per reason (smoltcp's
 * reason-less `Error` is the counter-example: style-anchors §1.6).
 *
 * - `truncated`: the bytes end before a header or a length field says they should;
 * - `malformed`: a field is impossible (IHL < 5, data offset < 5, an option length of 0, ...);
 * - `bad-checksum`: a checksum was checked and is wrong;
 * - `unsupported`: well formed, but a protocol or variant this layer does not model.
 */
export type WireError = 'truncated' | 'malformed' | 'bad-checksum' | 'unsupported';
