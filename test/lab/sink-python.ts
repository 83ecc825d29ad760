/**
 * Small programs run in the lab's sink with `python3 -c` (python3 is in scripts/setup.sh),
 * for what this kernel cannot do itself (CONFIG_IP_SCTP and CONFIG_VLAN_8021Q are both off
 * here: no SCTP sockets, no `ip link add ... type vlan`). Each is bounded in time by its own
 * argument, prints READY once its sockets are open, and is started and killed by PID through
 * the lab (lab.spawn).
 */

/**
 * An SCTP responder on a raw IP socket (protocol 132), in place of a kernel SCTP listener:
 * INIT to one of the open ports -> INIT-ACK (with a State Cookie), INIT to any other port ->
 * ABORT; both carry the INIT's initiate tag as verification tag and a CRC32c checksum, as an
 * SCTP stack sends them (RFC 9260 §5.1, §8.4). argv: open ports (comma list), seconds.
 * Prints `INIT <port>` for each INIT seen.
 */
export const SCTP_RESPONDER = `
import socket, struct, sys, time
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
OPEN = set(int(p) for p in sys.argv[1].split(','))
deadline = time.time() + float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
s.settimeout(0.2)
print('READY', flush=True)
while time.time() < deadline:
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        continue
    ihl = (data[0] & 15) * 4
    src, dst, sc = data[12:16], data[16:20], data[ihl:]
    if len(sc) < 32 or sc[12] != 1:
        continue
    sport, dport = struct.unpack('!HH', sc[0:4])
    itag = struct.unpack('!I', sc[16:20])[0]
    print('INIT', dport, flush=True)
    if dport in OPEN:
        chunk = struct.pack('!BBHIIHHI', 2, 0, 28, 0x5EED5EED, 65536, 10, 10, 1) + struct.pack('!HH4s', 7, 8, b'ck00')
    else:
        chunk = struct.pack('!BBH', 6, 0, 4)
    pkt = bytearray(struct.pack('!HHII', dport, sport, itag, 0) + chunk)
    pkt[8:12] = struct.pack('<I', crc32c(pkt))
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    r.bind((socket.inet_ntoa(dst), 0))
    r.sendto(bytes(pkt), (socket.inet_ntoa(src), 0))
    r.close()
`;

/**
 * A VLAN sub-interface in user space, in place of `ip link add link K name K.N type vlan id N`:
 * frames arriving on TAGGED with VLAN id N lose their tag and go out on INNER (a veth whose
 * peer holds the sink's address on that VLAN); frames from that peer get the tag and go out
 * on TAGGED. Frames of other VLANs, and untagged ones, are left to the kernel. The kernel
 * takes 802.1Q tags off before packet sockets see a frame and reports them in
 * PACKET_AUXDATA (tp_vlan_tci, TP_STATUS_VLAN_VALID), which is where this reads them.
 * argv: TAGGED, INNER, N, seconds. Prints counts (`IN n OUT m`) when it ends (SIGTERM too).
 */
export const VLAN_BRIDGE = `
import socket, struct, sys, time, select, signal
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
tagged, inner, vid, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
SOL_PACKET, PACKET_AUXDATA, OUTGOING, VLAN_VALID = 263, 8, 4, 0x10
a = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
a.bind((tagged, 0))
a.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
b = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
b.bind((inner, 0))
n_in = n_out = 0
deadline = time.time() + secs
print('READY', flush=True)
def step():
    global n_in, n_out
    r, _, _ = select.select([a, b], [], [], 0.2)
    if a in r:
        data, anc, _, addr = a.recvmsg(65535, socket.CMSG_SPACE(20))
        if addr[2] != OUTGOING:
            tci = None
            for lvl, typ, val in anc:
                if lvl == SOL_PACKET and typ == PACKET_AUXDATA:
                    st, _, _, _, _, t, _ = struct.unpack('IIIHHHH', val[:20])
                    if st & VLAN_VALID:
                        tci = t
            if tci is None and data[12:14] == b'\\x81\\x00':
                tci = struct.unpack('!H', data[14:16])[0]
                data = data[:12] + data[16:]
            if tci is not None and (tci & 0xFFF) == vid:
                b.send(data)
                n_in += 1
    if b in r:
        data, addr = b.recvfrom(65535)
        if addr[2] != OUTGOING:
            a.send(data[:12] + struct.pack('!HH', 0x8100, vid) + data[12:])
            n_out += 1
try:
    while time.time() < deadline:
        step()
finally:
    print('IN', n_in, 'OUT', n_out, flush=True)
`;
