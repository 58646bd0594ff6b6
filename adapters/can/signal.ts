import { canIdKey, type DbcDatabase, type DbcMessage, type DbcSignal } from './dbc.js';

/**
 * Signal extraction and insertion for DBC signals, Intel (@1) and Motorola (@0), signed or not,
 * up to 64 bits, with factor and offset. Raw values up to 52 bits are exact in a float64 and are
 * assembled as numbers; longer ones go through BigInt.
 */

const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** The raw (unscaled) value of a signal; undefined when the payload is too short to hold it. */
export function extractRaw(signal: DbcSignal, data: Uint8Array): number | bigint | undefined {
  if (data.length < signal.minBytes) return undefined;
  const { bits, length } = signal;
  if (length <= 52 && signal.valueType === 'integer') {
    let raw = 0;
    for (let i = 0; i < length; i++) {
      const b = bits[i];
      raw = raw * 2 + ((data[b >> 3] >> (b & 7)) & 1);
    }
    if (signal.signed && raw >= 2 ** (length - 1)) raw -= 2 ** length;
    return raw;
  }
  let raw = 0n;
  for (let i = 0; i < length; i++) {
    const b = bits[i];
    raw = (raw << 1n) | BigInt((data[b >> 3] >> (b & 7)) & 1);
  }
  if (signal.valueType === 'integer' && signal.signed && raw >= 1n << BigInt(length - 1)) raw -= 1n << BigInt(length);
  return raw;
}

/** The physical value: raw × factor + offset (IEEE floats are taken as they are, then scaled). */
export function extractPhysical(signal: DbcSignal, data: Uint8Array): number | undefined {
  const raw = extractRaw(signal, data);
  if (raw === undefined) return undefined;
  return rawToPhysical(signal, raw);
}

export function rawToPhysical(signal: DbcSignal, raw: number | bigint): number {
  if (signal.valueType === 'float32') {
    new DataView(f32Bytes.buffer).setUint32(0, Number(BigInt.asUintN(32, BigInt(raw))), true);
    return f32[0] * signal.factor + signal.offset;
  }
  if (signal.valueType === 'float64') {
    new DataView(f64Bytes.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(raw)), true);
    return f64[0] * signal.factor + signal.offset;
  }
  return Number(raw) * signal.factor + signal.offset;
}

/** The raw integer that encodes a physical value (rounded to the nearest step, clamped to the bit width). */
export function physicalToRaw(signal: DbcSignal, value: number): bigint {
  if (signal.valueType === 'float32') {
    f32[0] = (value - signal.offset) / signal.factor;
    return BigInt(new DataView(f32Bytes.buffer).getUint32(0, true));
  }
  if (signal.valueType === 'float64') {
    f64[0] = (value - signal.offset) / signal.factor;
    return new DataView(f64Bytes.buffer).getBigUint64(0, true);
  }
  const scaled = Math.round((value - signal.offset) / signal.factor);
  let raw = BigInt(Number.isFinite(scaled) ? scaled : 0);
  const n = BigInt(signal.length);
  const lo = signal.signed ? -(1n << (n - 1n)) : 0n;
  const hi = signal.signed ? (1n << (n - 1n)) - 1n : (1n << n) - 1n;
  if (raw < lo) raw = lo;
  if (raw > hi) raw = hi;
  return raw;
}

/** Writes a raw value into the payload at the signal's bits (two's complement for negatives). */
export function insertRaw(signal: DbcSignal, data: Uint8Array, raw: bigint | number): void {
  const { bits, length } = signal;
  const value = BigInt.asUintN(length, BigInt(raw));
  for (let i = 0; i < length; i++) {
    const b = bits[i];
    const bit = Number((value >> BigInt(length - 1 - i)) & 1n);
    if (bit) data[b >> 3] |= 1 << (b & 7);
    else data[b >> 3] &= ~(1 << (b & 7));
  }
}

export interface DecodedCanFrame {
  readonly message: DbcMessage;
  /** Physical values by signal name (only the signals present under the multiplexer's value). */
  readonly signals: Record<string, number>;
  /** VAL_ labels of the raw values that have one. */
  readonly labels: Record<string, string>;
  /** Signals that did not fit in the payload (a frame shorter than its DBC length). */
  readonly missing: readonly string[];
}

/**
 * Decodes one frame through the database; undefined for IDs the DBC does not define. Multiplexed
 * signals are decoded only when the multiplexer switch holds their value.
 */
export function decodeCanFrame(db: DbcDatabase, id: number, data: Uint8Array, extended = id > 0x7ff): DecodedCanFrame | undefined {
  const message = db.byId.get(canIdKey(id, extended));
  if (!message) return undefined;
  return decodeMessage(message, data);
}

export function decodeMessage(message: DbcMessage, data: Uint8Array): DecodedCanFrame {
  const signals: Record<string, number> = {};
  const labels: Record<string, string> = {};
  const missing: string[] = [];
  let switchValue: number | undefined;
  if (message.multiplexer) {
    const raw = extractRaw(message.multiplexer, data);
    switchValue = raw === undefined ? undefined : Number(raw);
  }
  for (const signal of message.signals) {
    if (signal.multiplexValue !== undefined && signal.multiplexValue !== switchValue) continue;
    const raw = extractRaw(signal, data);
    if (raw === undefined) {
      missing.push(signal.name);
      continue;
    }
    signals[signal.name] = rawToPhysical(signal, raw);
    if (signal.choices.size > 0 && (typeof raw === 'number' || raw <= BigInt(Number.MAX_SAFE_INTEGER))) {
      const label = signal.choices.get(Number(raw));
      if (label !== undefined) labels[signal.name] = label;
    }
  }
  return { message, signals, labels, missing };
}

/**
 * Encodes physical values into a payload of the message's DLC (or `length` bytes). Signals not
 * given are zero. Multiplexed signals are written only when the switch value given selects them.
 */
export function encodeCanFrame(message: DbcMessage, values: Record<string, number>, length = message.dlc): Uint8Array {
  const data = new Uint8Array(length);
  const switchValue = message.multiplexer ? values[message.multiplexer.name] : undefined;
  for (const signal of message.signals) {
    const value = values[signal.name];
    if (value === undefined) continue;
    if (signal.multiplexValue !== undefined && signal.multiplexValue !== switchValue) continue;
    if (signal.minBytes > length) throw new RangeError(`signal ${signal.name} needs ${signal.minBytes} bytes; the payload has ${length}`);
    insertRaw(signal, data, physicalToRaw(signal, value));
  }
  return data;
}
