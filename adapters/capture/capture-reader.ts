import type { DecodeIssue, OnDecodeIssue } from '../decoder.js';

/**
 * Packet captures as pure functions of bytes: classic libpcap (µs and ns magic, either byte order)
 * and pcapng (SHB, IDB with if_tsresol/if_tsoffset, EPB, SPB; other blocks skipped). A capture is
 * read either whole (`parseCapture`) or as a stream of chunks (`createCaptureReader`) so that a
 * transport can play a large file without holding it in memory. Damaged input is counted, never
 * thrown: once the framing is lost (a length that cannot be right), the reader stops, because
 * neither format has a sync marker to find the next record by.
 */

/** One captured link-layer frame. `data` views the pushed bytes: do not mutate what you push. */
export interface CaptureRecord {
  /** Capture time, Unix nanoseconds (a pcapng SPB has none: it repeats the previous record's). */
  readonly tsNs: bigint;
  readonly timestampKnown: boolean;
  /** LINKTYPE_* of the interface (1 Ethernet, 101 raw IP, 113 Linux SLL, ...). */
  readonly linkType: number;
  readonly interfaceId: number;
  /** The captured bytes (may be shorter than the frame on the wire: see origLength). */
  readonly data: Uint8Array;
  readonly origLength: number;
  /** Byte offset of the record's header in the capture. */
  readonly offset: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** Counts by code, plus the first few issues in full (bounded so that a damaged file costs no memory). */
export interface CaptureIssues {
  readonly counts: Record<string, number>;
  readonly samples: readonly DecodeIssue[];
  readonly total: number;
}

export interface CaptureReaderOptions {
  /** Largest record accepted, bytes of captured data (default 262144, libpcap's largest snaplen). */
  maxRecordBytes?: number;
  onIssue?: OnDecodeIssue;
}

export interface CaptureReader {
  /** Feeds the next slice of the file; returns the records completed by it. */
  push(chunk: Uint8Array): CaptureRecord[];
  /** End of input: counts a truncated last record, if any. */
  end(): void;
  /** Undefined until the first 4 bytes have been seen. */
  readonly format: CaptureFormat | undefined;
  readonly issues: CaptureIssues;
  /** Bytes held back waiting for the rest of a record (never more than one record and its header). */
  readonly bufferedBytes: number;
  /** True once the framing was lost: later input is ignored. */
  readonly failed: boolean;
}

export const DEFAULT_MAX_CAPTURE_RECORD_BYTES = 262_144;
const MAX_ISSUE_SAMPLES = 32;
/** pcapng blocks carry options and padding around the packet; allow for them in the block bound. */
const PCAPNG_BLOCK_OVERHEAD = 4096;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;

interface PcapngInterface {
  linkType: number;
  /** Timestamp units per second, as numerator/denominator of nanoseconds per unit. */
  unitsPerSecond: bigint;
  offsetNs: bigint;
}

class IssueLog implements CaptureIssues {
  readonly counts: Record<string, number> = {};
  readonly samples: DecodeIssue[] = [];
  total = 0;
  constructor(private readonly onIssue: OnDecodeIssue | undefined) {}
  add(code: string, message: string, offset?: number): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    this.total++;
    const issue: DecodeIssue = { code, message, offset };
    if (this.samples.length < MAX_ISSUE_SAMPLES) this.samples.push(issue);
    this.onIssue?.(issue);
  }
}

function u32(b: Uint8Array, o: number, little: boolean): number {
  return little
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function u16(b: Uint8Array, o: number, little: boolean): number {
  return little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/** Nanoseconds from a count of 1/unitsPerSecond units, exactly. */
function unitsToNs(units: bigint, unitsPerSecond: bigint): bigint {
  if (unitsPerSecond === 1_000_000_000n) return units;
  if (unitsPerSecond === 1_000_000n) return units * 1000n;
  return (units / unitsPerSecond) * 1_000_000_000n + ((units % unitsPerSecond) * 1_000_000_000n) / unitsPerSecond;
}

/** if_tsresol: MSB clear → 10^-v seconds, set → 2^-(v & 0x7f). Out-of-range values give undefined. */
function tsresolUnitsPerSecond(v: number): bigint | undefined {
  if (v & 0x80) {
    const e = v & 0x7f;
    return e <= 62 ? 1n << BigInt(e) : undefined;
  }
  return v <= 18 ? 10n ** BigInt(v) : undefined;
}

export function createCaptureReader(options: CaptureReaderOptions = {}): CaptureReader {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_CAPTURE_RECORD_BYTES;
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 64 || maxRecordBytes > 64 * 1024 * 1024) {
    throw new RangeError(`maxRecordBytes must be an integer in [64, 67108864], got ${maxRecordBytes}`);
  }
  const issues = new IssueLog(options.onIssue);
  let format: CaptureFormat | undefined;
  let failed = false;
  let pending: Uint8Array = new Uint8Array(0);
  /** Capture offset of pending[0]. */
  let base = 0;

  // classic pcap state
  let little = true;
  let nanoResolution = false;
  let pcapLinkType = 0;
  let headerDone = false;

  // pcapng state
  let interfaces: PcapngInterface[] = [];
  let lastTs = 0n;

  function fail(code: string, message: string, offset: number): void {
    issues.add(code, message, offset);
    failed = true;
    pending = new Uint8Array(0);
  }

  /** Parses what `work` holds from `off`; returns the offset of the first unconsumed byte. */
  function parse(work: Uint8Array, out: CaptureRecord[]): number {
    let off = 0;
    if (format === undefined) {
      if (work.length < 4) return 0;
      const m = u32(work, 0, true);
      if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) {
        format = 'pcap';
        little = true;
        nanoResolution = m === PCAP_MAGIC_NS;
      } else if (u32(work, 0, false) === PCAP_MAGIC_US || u32(work, 0, false) === PCAP_MAGIC_NS) {
        format = 'pcap';
        little = false;
        nanoResolution = u32(work, 0, false) === PCAP_MAGIC_NS;
      } else if (m === PCAPNG_SHB) {
        format = 'pcapng';
      } else {
        fail('not-a-capture', `magic 0x${m.toString(16).padStart(8, '0')} is neither pcap nor pcapng`, base);
        return work.length;
      }
    }
    if (format === 'pcap') {
      if (!headerDone) {
        if (work.length < 24) return 0;
        const major = u16(work, 4, little);
        if (major !== 2) issues.add('unusual-version', `pcap version ${major}.${u16(work, 6, little)}`, base);
        // The upper bits of the link type field hold FCS information in newer files.
        pcapLinkType = u32(work, 20, little) & 0x0fff_ffff;
        headerDone = true;
        off = 24;
      }
      while (off + 16 <= work.length) {
        const incl = u32(work, off + 8, little);
        const orig = u32(work, off + 12, little);
        if (incl > maxRecordBytes) {
          fail('record-too-large', `record of ${incl} bytes; at most ${maxRecordBytes}`, base + off);
          return work.length;
        }
        if (off + 16 + incl > work.length) break;
        const sec = u32(work, off, little);
        const frac = u32(work, off + 4, little);
        if (frac >= (nanoResolution ? 1_000_000_000 : 1_000_000)) {
          issues.add('bad-timestamp', `fraction ${frac} out of range`, base + off);
        }
        const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(nanoResolution ? frac : frac * 1000);
        out.push({
          tsNs,
          timestampKnown: true,
          linkType: pcapLinkType,
          interfaceId: 0,
          data: work.subarray(off + 16, off + 16 + incl),
          origLength: orig,
          offset: base + off,
        });
        off += 16 + incl;
      }
      return off;
    }
    // pcapng
    while (off + 12 <= work.length) {
      const type = u32(work, off, little);
      if (type === PCAPNG_SHB) {
        // A new section may switch byte order: read the byte-order magic before the length.
        if (off + 12 > work.length) break;
        const bomLittle = u32(work, off + 8, true) === PCAPNG_BOM;
        const bomBig = u32(work, off + 8, false) === PCAPNG_BOM;
        if (!bomLittle && !bomBig) {
          fail('bad-byte-order-magic', 'section header block without 0x1A2B3C4D', base + off);
          return work.length;
        }
        little = bomLittle;
        interfaces = [];
      }
      const total = u32(work, off + 4, little);
      if (total < 12 || total % 4 !== 0 || total > maxRecordBytes + PCAPNG_BLOCK_OVERHEAD) {
        fail('bad-block-length', `block of type ${type} declares ${total} bytes`, base + off);
        return work.length;
      }
      if (off + total > work.length) break;
      if (u32(work, off + total - 4, little) !== total) {
        fail('bad-block-length', `block of type ${type}: trailing length differs from leading ${total}`, base + off);
        return work.length;
      }
      const body = work.subarray(off + 8, off + total - 4);
      if (type === PCAPNG_SHB) {
        // body: bom, major, minor, section length, options: nothing else needed
      } else if (type === PCAPNG_IDB) {
        parseIdb(body, base + off);
      } else if (type === PCAPNG_EPB) {
        parseEpb(body, base + off, out);
      } else if (type === PCAPNG_SPB) {
        parseSpb(body, base + off, out);
      }
      // Other blocks (name resolution, statistics, custom, decryption secrets) carry no packets.
      off += total;
    }
    return off;
  }

  function parseIdb(body: Uint8Array, at: number): void {
    if (body.length < 8) {
      issues.add('bad-block', 'interface description block shorter than 8 bytes', at);
      return;
    }
    const iface: PcapngInterface = { linkType: u16(body, 0, little), unitsPerSecond: 1_000_000n, offsetNs: 0n };
    let o = 8;
    while (o + 4 <= body.length) {
      const code = u16(body, o, little);
      const len = u16(body, o + 2, little);
      if (code === 0) break;
      if (o + 4 + len > body.length) {
        issues.add('bad-option', `option ${code} runs past its block`, at);
        break;
      }
      if (code === 9 && len >= 1) {
        const ups = tsresolUnitsPerSecond(body[o + 4]);
        if (ups === undefined) issues.add('bad-option', `if_tsresol ${body[o + 4]} out of range`, at);
        else iface.unitsPerSecond = ups;
      } else if (code === 14 && len >= 8) {
        const hi = u32(body, o + 4 + (little ? 4 : 0), little);
        const lo = u32(body, o + 4 + (little ? 0 : 4), little);
        iface.offsetNs = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)) * 1_000_000_000n;
      }
      o += 4 + ((len + 3) & ~3);
    }
    interfaces.push(iface);
  }

  function parseEpb(body: Uint8Array, at: number, out: CaptureRecord[]): void {
    if (body.length < 20) {
      issues.add('bad-block', 'enhanced packet block shorter than 20 bytes', at);
      return;
    }
    const ifId = u32(body, 0, little);
    const iface = interfaces[ifId];
    if (!iface) {
      issues.add('unknown-interface', `packet on interface ${ifId}, ${interfaces.length} described`, at);
      return;
    }
    const units = (BigInt(u32(body, 4, little)) << 32n) | BigInt(u32(body, 8, little));
    const captured = u32(body, 12, little);
    const orig = u32(body, 16, little);
    if (20 + captured > body.length) {
      issues.add('bad-block', `captured length ${captured} runs past its block`, at);
      return;
    }
    const tsNs = unitsToNs(units, iface.unitsPerSecond) + iface.offsetNs;
    lastTs = tsNs;
    out.push({ tsNs, timestampKnown: true, linkType: iface.linkType, interfaceId: ifId, data: body.subarray(20, 20 + captured), origLength: orig, offset: at });
  }

  function parseSpb(body: Uint8Array, at: number, out: CaptureRecord[]): void {
    const iface = interfaces[0];
    if (body.length < 4 || !iface) {
      issues.add(iface ? 'bad-block' : 'unknown-interface', 'simple packet block without interface 0 or length', at);
      return;
    }
    const orig = u32(body, 0, little);
    const captured = Math.min(orig, body.length - 4);
    out.push({ tsNs: lastTs, timestampKnown: false, linkType: iface.linkType, interfaceId: 0, data: body.subarray(4, 4 + captured), origLength: orig, offset: at });
  }

  return {
    push(chunk: Uint8Array): CaptureRecord[] {
      if (failed) {
        issues.add('after-failure', `${chunk.length} bytes ignored after the capture's framing was lost`, base);
        return [];
      }
      if (chunk.length === 0) return [];
      let work: Uint8Array;
      if (pending.length === 0) work = chunk;
      else {
        work = new Uint8Array(pending.length + chunk.length);
        work.set(pending, 0);
        work.set(chunk, pending.length);
      }
      const out: CaptureRecord[] = [];
      const used = parse(work, out);
      if (failed) return out;
      // Copy the remainder so that a large chunk is not kept alive by a few trailing bytes.
      pending = work.slice(used);
      base += used;
      return out;
    },
    end(): void {
      if (!failed && pending.length > 0) {
        issues.add('truncated-record', `${pending.length} bytes at the end do not make a whole record`, base);
        pending = new Uint8Array(0);
      }
      if (format === undefined && !failed && base === 0) issues.add('empty', 'no capture header', 0);
    },
    get format() {
      return format;
    },
    issues,
    get bufferedBytes() {
      return pending.length;
    },
    get failed() {
      return failed;
    },
  };
}

export interface ParsedCapture {
  readonly format: CaptureFormat | undefined;
  /** Records view `bytes`. */
  readonly records: Iterable<CaptureRecord>;
  readonly issues: CaptureIssues;
}

/** A whole capture held in memory. */
export function parseCapture(bytes: Uint8Array, options: CaptureReaderOptions = {}): ParsedCapture {
  const reader = createCaptureReader(options);
  const records = reader.push(bytes);
  reader.end();
  return { format: reader.format, records, issues: reader.issues };
}
