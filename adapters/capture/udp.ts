import type { CaptureRecord } from './capture-reader.js';

/**
 * UDP datagrams out of captured link-layer frames: Ethernet (with up to two 802.1Q/802.1ad tags),
 * Linux cooked capture v1 and v2, BSD loopback, and raw IPv4; IPv4 only. Fragments are counted and
 * skipped (sensor packets fit one Ethernet frame; reassembly would buy nothing here).
 */

export interface UdpDatagram {
  /** Capture time, Unix nanoseconds. */
  readonly tsNs: bigint;
  readonly srcAddr: string;
  readonly dstAddr: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Views the record's bytes. */
  readonly payload: Uint8Array;
}

export type UdpSkipReason = 'unsupported-link-type' | 'not-ipv4' | 'not-udp' | 'fragment' | 'truncated' | 'malformed';

/** What `udpDatagrams` saw, by outcome. */
export interface UdpExtractCounts {
  datagrams: number;
  skipped: Partial<Record<UdpSkipReason, number>>;
}

export function createUdpExtractCounts(): UdpExtractCounts {
  return { datagrams: 0, skipped: {} };
}

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;
/** Some BSDs write DLT_RAW as 12 or 14 instead of LINKTYPE_RAW. */
const LINKTYPE_RAW_BSD = [12, 14];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100];

/** Offset of the IPv4 header inside the frame, or a reason why there is none. */
function ipv4Offset(linkType: number, d: Uint8Array): number | UdpSkipReason {
  if (linkType === LINKTYPE_ETHERNET) {
    if (d.length < 14) return 'truncated';
    let o = 12;
    let type = (d[o] << 8) | d[o + 1];
    for (let tags = 0; tags < 2 && ETHERTYPE_VLAN.includes(type); tags++) {
      o += 4;
      if (d.length < o + 2) return 'truncated';
      type = (d[o] << 8) | d[o + 1];
    }
    return type === ETHERTYPE_IPV4 ? o + 2 : 'not-ipv4';
  }
  if (linkType === LINKTYPE_LINUX_SLL) {
    if (d.length < 16) return 'truncated';
    return ((d[14] << 8) | d[15]) === ETHERTYPE_IPV4 ? 16 : 'not-ipv4';
  }
  if (linkType === LINKTYPE_LINUX_SLL2) {
    if (d.length < 20) return 'truncated';
    return ((d[0] << 8) | d[1]) === ETHERTYPE_IPV4 ? 20 : 'not-ipv4';
  }
  if (linkType === LINKTYPE_NULL) {
    if (d.length < 4) return 'truncated';
    // The address family is in the capturing host's byte order: AF_INET is 2 everywhere.
    const le = d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24);
    const be = (d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
    return le === 2 || be === 2 ? 4 : 'not-ipv4';
  }
  if (linkType === LINKTYPE_RAW || linkType === LINKTYPE_IPV4 || LINKTYPE_RAW_BSD.includes(linkType)) return 0;
  return 'unsupported-link-type';
}

function dotted(d: Uint8Array, o: number): string {
  return `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
}

/** The UDP datagram inside one record, or why there is none. */
export function udpDatagramOf(record: CaptureRecord): UdpDatagram | UdpSkipReason {
  const d = record.data;
  const ip = ipv4Offset(record.linkType, d);
  if (typeof ip === 'string') return ip;
  if (d.length < ip + 20) return 'truncated';
  if (d[ip] >> 4 !== 4) return 'not-ipv4';
  const ihl = (d[ip] & 0x0f) * 4;
  if (ihl < 20) return 'malformed';
  const totalLength = (d[ip + 2] << 8) | d[ip + 3];
  if (totalLength < ihl) return 'malformed';
  const flagsFrag = (d[ip + 6] << 8) | d[ip + 7];
  // More-fragments set, or a non-zero offset: a piece of a larger datagram.
  if (flagsFrag & 0x2000 || flagsFrag & 0x1fff) return 'fragment';
  if (d[ip + 9] !== 17) return 'not-udp';
  const udp = ip + ihl;
  if (d.length < udp + 8) return 'truncated';
  const udpLength = (d[udp + 4] << 8) | d[udp + 5];
  if (udpLength < 8 || udpLength > totalLength - ihl) return 'malformed';
  if (d.length < udp + udpLength) return 'truncated';
  return {
    tsNs: record.tsNs,
    srcAddr: dotted(d, ip + 12),
    dstAddr: dotted(d, ip + 16),
    srcPort: (d[udp] << 8) | d[udp + 1],
    dstPort: (d[udp + 2] << 8) | d[udp + 3],
    payload: d.subarray(udp + 8, udp + udpLength),
  };
}

/** UDP datagrams of a sequence of records; what was skipped is added to `counts` when given. */
export function* udpDatagrams(records: Iterable<CaptureRecord>, counts?: UdpExtractCounts): Generator<UdpDatagram> {
  for (const record of records) {
    const result = udpDatagramOf(record);
    if (typeof result === 'string') {
      if (counts) counts.skipped[result] = (counts.skipped[result] ?? 0) + 1;
      continue;
    }
    if (counts) counts.datagrams++;
    yield result;
  }
}
