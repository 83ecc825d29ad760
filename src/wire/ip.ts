/**
 * IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by IPv4's protocol
 * field and IPv6's next-header field. Any other value stays a number.
 */
export const IpProtocol = {
  HOP_BY_HOP: 0, // IPv6 extension header
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  AH: 51,
  ICMPV6: 58,
  IPV6_NO_NEXT: 59,
  IPV6_DEST_OPTS: 60,
  SCTP: 132,
} as const;

/** tcpdump's name for a transport protocol number, or undefined. */
export function ipProtocolName(p: number): string | undefined {
  switch (p) {
    case IpProtocol.ICMP:
      return 'icmp';
    case IpProtocol.TCP:
      return 'tcp';
    case IpProtocol.UDP:
      return 'udp';
    case IpProtocol.ICMPV6:
      return 'icmp6';
    case IpProtocol.SCTP:
      return 'sctp';
    default:
      return undefined;
  }
}
