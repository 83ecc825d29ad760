#!/usr/bin/env python3
"""Regenerate the real-packet vectors in test/vectors/*.txt (run as root, by hand).

Each file holds packets as tcpdump printed them (`tcpdump -n -S -t -XX`): the one-line
summary, then the hex dump. test/vectors/vectors.ts parses them for the tests.

Network rule (LAB.md): traffic goes only to 127.0.0.1 / ::1 on lo, or between two network
namespaces this script creates (prefix twv<pid>, deleted at the end even on failure, no
routes beyond their /30 and /64). Every wait is bounded.
"""
import os, socket, subprocess, sys, time, struct

HERE = os.path.dirname(os.path.abspath(__file__))
PID = os.getpid()
NS_A, NS_B = f"twv{PID}a", f"twv{PID}b"


def tcpdump(iface, count, bpf, netns=None):
    """Start a bounded capture; returns it with the command line the vector file names."""
    cmd = ["timeout", "-k", "2", "10", "tcpdump", "-i", iface, "-n", "-S", "-t", "-XX", "-U",
           "-c", str(count), bpf]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait until it listens (bounded)
    for _ in range(5):
        line = p.stderr.readline()
        if "listening" in line or not line:
            break
    if "listening" not in line:
        raise SystemExit("tcpdump did not start: " + line)
    time.sleep(0.3)
    p.cmdline = ("ip netns exec <ns> " if netns else "") + f"tcpdump -i {iface} -n -S -t -XX '{bpf}'"
    return p


def finish(p, name, title):
    out, err = p.communicate(timeout=15)
    with open(os.path.join(HERE, name), "w") as f:
        f.write(f"# {title}\n# captured with: {p.cmdline}\n")
        f.write(out)
    print(f"{name}: {sum(1 for l in out.splitlines() if l and not l[0].isspace())} packets")


def lo_tcp_open():
    p = tcpdump("lo", 7, "tcp and port 47080 and port 47001")
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 47080)); srv.listen(1); srv.settimeout(5)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("127.0.0.1", 47001)); c.settimeout(5)
    c.connect(("127.0.0.1", 47080))
    s, _ = srv.accept()
    c.sendall(b"hello\r\n"); s.recv(100)
    # RST close from the client (SO_LINGER 0)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.1); c.close(); s.close(); srv.close()
    finish(p, "lo-tcp-open.txt", "TCP to a listener on 127.0.0.1:47080: SYN, SYN-ACK, ACK, data, RST")


def lo_tcp_closed():
    p = tcpdump("lo", 2, "tcp and port 47081")
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind(("127.0.0.1", 47002)); c.settimeout(5)
    try:
        c.connect(("127.0.0.1", 47081))
    except ConnectionRefusedError:
        pass
    c.close()
    finish(p, "lo-tcp-closed.txt", "TCP SYN to a closed port 127.0.0.1:47081, and the kernel's RST-ACK")


def lo_udp():
    p = tcpdump("lo", 3, "(udp and port 47003) or (icmp and icmp[0] == 3 and icmp[30:2] == 47083)")
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 47082))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 47003))
    s.sendto(b"tidescan", ("127.0.0.1", 47082)); r.settimeout(5); r.recv(100)
    s.sendto(b"closed?", ("127.0.0.1", 47083))
    time.sleep(0.2); s.close(); r.close()
    finish(p, "lo-udp.txt", "UDP to a bound port, then to a closed port 47083 and the ICMP port unreachable")


def icmp_echo():
    p = tcpdump("lo", 2, "icmp and icmp[4:2] == 0x7473")
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    payload = bytes(range(0x08, 0x38))  # masscan --ping payload 0x08..0x37
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0x7473, 1)
    def csum(b):
        if len(b) % 2: b += b"\0"
        t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while t >> 16: t = (t & 0xffff) + (t >> 16)
        return ~t & 0xffff
    c = csum(hdr + payload)
    s.sendto(struct.pack("!BBHHH", 8, 0, c, 0x7473, 1) + payload, ("127.0.0.1", 0))
    time.sleep(0.2); s.close()
    finish(p, "lo-icmp-echo.txt", "ICMP echo request (masscan --ping payload) to 127.0.0.1 and its reply")


def lo_ipv6():
    p = tcpdump("lo", 6, "(ip6 and tcp and port 47084) or (ip6 and udp and port 47005) or "
                "(icmp6 and ip6[40] == 1) or (icmp6 and ip6[44:2] == 0x7473)")
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.bind(("::1", 47004)); c.settimeout(5)
    try:
        c.connect(("::1", 47084))
    except ConnectionRefusedError:
        pass
    c.close()
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 47005))
    s.sendto(b"v6?", ("::1", 47085))
    time.sleep(0.2); s.close()
    e = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)  # kernel fills the checksum
    e.sendto(struct.pack("!BBHHH", 128, 0, 0, 0x7473, 2) + b"tidescan", ("::1", 0))
    time.sleep(0.2); e.close()
    finish(p, "lo-ipv6.txt", "IPv6 on ::1: SYN to a closed port and RST, UDP to a closed port and ICMPv6 unreachable, echo")


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=10)


def netns_ethernet():
    """ARP, NDP and Ethernet frames with real MACs, between two namespaces of our own."""
    try:
        sh("ip", "netns", "add", NS_A); sh("ip", "netns", "add", NS_B)
        sh("ip", "link", "add", "twva", "netns", NS_A, "address", "02:50:00:00:09:01", "type", "veth",
           "peer", "name", "twvb", "netns", NS_B, "address", "02:50:00:00:09:02")
        for ns, dev, v4, v6 in ((NS_A, "twva", "10.250.9.1/30", "fd00:9::1/64"),
                                (NS_B, "twvb", "10.250.9.2/30", "fd00:9::2/64")):
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", v4, "dev", dev)
            sh("ip", "netns", "exec", ns, "ip", "-6", "addr", "add", v6, "dev", dev, "nodad")
            sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.%s.router_solicitations=0" % dev)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
        for ns in (NS_A, NS_B):  # the lab rule: no default route
            r = sh("ip", "netns", "exec", ns, "ip", "route", "show", "default").stdout
            r6 = sh("ip", "netns", "exec", ns, "ip", "-6", "route", "show", "default").stdout
            if r.strip() or r6.strip():
                raise SystemExit("namespace has a default route")
        p = tcpdump("twva", 13, "arp or (udp and port 47006) or (icmp and icmp[0] == 3) or "
                    "(tcp and port 47086) or (icmp6 and (ip6[40] == 135 or ip6[40] == 136 or ip6[40] == 1))",
                    netns=NS_A)
        code = (
            "import socket,time\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('10.250.9.1',47006))\n"
            "s.sendto(b'arp me',('10.250.9.2',47087));time.sleep(0.2)\n"
            "c=socket.socket();c.bind(('10.250.9.1',47007));c.settimeout(3)\n"
            "try: c.connect(('10.250.9.2',47086))\n"
            "except OSError: pass\n"
            "u=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);u.bind(('fd00:9::1',47006))\n"
            "u.sendto(b'ndp me',('fd00:9::2',47087));time.sleep(0.3)\n"
        )
        sh("ip", "netns", "exec", NS_A, "timeout", "8", "python3", "-c", code)
        finish(p, "veth-ethernet.txt",
               "Between two namespaces over a veth (MACs 02:50:00:00:09:01/02): ARP, UDP and ICMP unreachable, "
               "TCP SYN and RST, NDP NS/NA, UDP over IPv6 and ICMPv6 unreachable")
    finally:
        sh("ip", "netns", "del", NS_A, check=False)
        sh("ip", "netns", "del", NS_B, check=False)


if __name__ == "__main__":
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    for f in (lo_tcp_open, lo_tcp_closed, lo_udp, icmp_echo, lo_ipv6, netns_ethernet):
        f()
