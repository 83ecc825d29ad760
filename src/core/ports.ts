/**
 * masscan's single "internal port" index space (reference §2.3; visible in some of masscan's
 * outputs, so kept as is):
 *   TCP p         -> p                 (0 .. 65535)
 *   UDP p         -> 65536 + p
 *   SCTP p        -> 131072 + p
 *   ICMP (`I:n`)  -> 196608 + n         (I:0 = echo "ping", I:1 = timestamp)
 *   ARP           -> 196610            (masscan's --arpscan pseudo-port, echoes as I:2)
 *   other IP proto (`O:n`, 0..255) -> 196864 + n   (echoes as I:<256+n>, masscan's form)
 */

export const PORT_TCP_BASE = 0;
export const PORT_UDP_BASE = 65536;
export const PORT_SCTP_BASE = 131072;
export const PORT_ICMP_BASE = 196608;
export const PORT_ICMP_ECHO = 196608;
export const PORT_ICMP_TIMESTAMP = 196609;
export const PORT_ARP = 196610;
export const PORT_OPROTO_BASE = 196864;

/** The protocol an internal port value stands for. */
export type PortProto = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'arp' | 'oproto';
/** The protocols a bare port number in a port list may default to (`-p 80`, `--udp-ports`). */
export type Proto = 'tcp' | 'udp' | 'sctp';
