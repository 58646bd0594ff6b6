/** Integer nanoseconds, the one time unit of the engine (as in MCAP and ROS). */
export type Nanos = bigint;

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

export function secondsToNanos(seconds: number): Nanos {
  if (!Number.isFinite(seconds)) throw new RangeError(`not a finite number of seconds: ${seconds}`);
  // Split so that large epochs keep nanosecond precision beyond float64's 2^53 limit.
  const whole = Math.floor(seconds);
  const frac = Math.round((seconds - whole) * 1e9);
  return BigInt(whole) * NS_PER_S + BigInt(frac);
}

/** For display and statistics only: float seconds never drive engine decisions. */
export function nanosToSeconds(ns: Nanos): number {
  return Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
}

export function nanosToMillis(ns: Nanos): number {
  return Number(ns) / 1e6;
}

export function millisToNanos(ms: number): Nanos {
  return BigInt(Math.round(ms * 1e6));
}

/** Wall clock in nanoseconds since the Unix epoch, monotonic within the process. */
export function createClock(): () => Nanos {
  const originWall = BigInt(Date.now()) * NS_PER_MS;
  const originMono = process.hrtime.bigint();
  return () => originWall + (process.hrtime.bigint() - originMono);
}

/** Protobuf/foxglove Timestamp ({ sec, nsec }) from and to nanoseconds. */
export interface SecNsec {
  sec: number;
  nsec: number;
}

/** nsec is always in [0, 1e9), as foxglove.Time and google.protobuf.Timestamp require, so times before the epoch floor. */
export function nanosToSecNsec(ns: Nanos): SecNsec {
  let sec = ns / NS_PER_S;
  let nsec = ns % NS_PER_S;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS_PER_S;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

export function secNsecToNanos(t: { sec?: number | bigint | Long; seconds?: number | bigint | Long; nsec?: number; nanos?: number } | null | undefined): Nanos {
  if (!t) return 0n;
  const sec = t.sec ?? t.seconds ?? 0;
  const nsec = t.nsec ?? t.nanos ?? 0;
  return toBigInt(sec) * NS_PER_S + BigInt(nsec);
}

interface Long {
  low: number;
  high: number;
  unsigned: boolean;
}

/** protobufjs gives 64-bit integers as number or Long; the engine wants bigint. */
export function toBigInt(v: number | bigint | Long | string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.unsigned ? v.high >>> 0 : v.high);
  return (hi << 32n) | lo;
}

export function formatStamp(ns: Nanos): string {
  // Floor division, so stamps before the epoch keep a non-negative sub-millisecond part.
  let msPart = ns / NS_PER_MS;
  let subPart = ns % NS_PER_MS;
  if (subPart < 0n) {
    msPart -= 1n;
    subPart += NS_PER_MS;
  }
  const ms = Number(msPart);
  const sub = subPart.toString().padStart(6, '0');
  return new Date(ms).toISOString().replace('Z', `${sub}Z`);
}
