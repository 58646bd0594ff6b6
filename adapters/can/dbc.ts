/**
 * A parser for Vector's CAN database text format (DBC): messages (BO_), signals (SG_, including
 * simple multiplexing M / m<k>), enumerations (VAL_) and float signal types (SIG_VALTYPE_).
 * Comments (CM_), attributes (BA_*, BA_DEF_*) and the other section keywords are tolerated and
 * skipped. Errors name the line. A DBC is configuration, so a bad one throws (DbcParseError).
 */

export type ByteOrder = 'little_endian' | 'big_endian';
export type SignalValueType = 'integer' | 'float32' | 'float64';

export interface DbcSignal {
  readonly name: string;
  /** As written in the DBC: the LSB for Intel (@1), the MSB in sawtooth numbering for Motorola (@0). */
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: ByteOrder;
  readonly signed: boolean;
  readonly valueType: SignalValueType;
  readonly factor: number;
  readonly offset: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly unit: string;
  readonly receivers: readonly string[];
  /** True for the multiplexer switch (M). */
  readonly isMultiplexer: boolean;
  /** Switch value under which this signal is present (m<k>); undefined for plain signals. */
  readonly multiplexValue: number | undefined;
  /** VAL_ table: raw value → label. */
  readonly choices: ReadonlyMap<number, string>;
  /**
   * Payload bit positions (byte·8 + bit, bit 0 = LSB of the byte) from the most to the least
   * significant bit of the raw value: computed once, so extraction is a loop over them.
   */
  readonly bits: Uint16Array;
  /** Smallest payload length in bytes that holds every bit of the signal. */
  readonly minBytes: number;
}

export interface DbcMessage {
  /** Arbitration ID without the extended flag. */
  readonly id: number;
  readonly extended: boolean;
  readonly name: string;
  readonly dlc: number;
  readonly sender: string;
  readonly signals: readonly DbcSignal[];
  readonly multiplexer: DbcSignal | undefined;
  readonly comment: string | undefined;
}

export interface DbcDatabase {
  readonly version: string;
  readonly nodes: readonly string[];
  readonly messages: readonly DbcMessage[];
  /** Key: canIdKey(id, extended). */
  readonly byId: ReadonlyMap<number, DbcMessage>;
  readonly byName: ReadonlyMap<string, DbcMessage>;
}

export class DbcParseError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
    readonly source = 'DBC',
  ) {
    super(`${source}:${line}: ${problem}`);
    this.name = 'DbcParseError';
  }
}

export interface DbcParseOptions {
  /** Name used in error messages (a file name). */
  source?: string;
  /** Largest accepted text, in characters (default 8 MiB). */
  maxLength?: number;
  maxMessages?: number;
  maxSignalsPerMessage?: number;
}

export const DBC_MAX_LENGTH = 8 * 1024 * 1024;
const EXTENDED_FLAG = 0x80000000;
/** CAN FD carries at most 64 bytes, so bit positions stop at 511. */
const MAX_PAYLOAD_BYTES = 64;

/** One key per (id, extended) pair: extended IDs set bit 29 above the 29-bit ID space. */
export function canIdKey(id: number, extended: boolean): number {
  return extended ? id + 0x20000000 : id;
}

/** Payload bit positions of a signal, most significant first (see DbcSignal.bits). */
export function signalBitPositions(startBit: number, length: number, byteOrder: ByteOrder): Uint16Array {
  const bits = new Uint16Array(length);
  if (byteOrder === 'little_endian') {
    // Intel: start bit is the LSB; the value runs upward through the payload.
    for (let i = 0; i < length; i++) bits[length - 1 - i] = startBit + i;
  } else {
    // Motorola: start bit is the MSB; within a byte move to lower bits, then to bit 7 of the next byte.
    let pos = startBit;
    for (let i = 0; i < length; i++) {
      bits[i] = pos;
      pos = pos % 8 === 0 ? pos + 15 : pos - 1;
    }
  }
  return bits;
}

const SG_RE =
  /^SG_\s+([A-Za-z_][A-Za-z0-9_]*)\s*(M|m\d+M?)?\s*:\s*(\d+)\s*\|\s*(\d+)\s*@\s*([01])\s*([+-])\s*\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)\s*\[\s*([^|\]\s]+)\s*\|\s*([^|\]\s]+)\s*\]\s*"([^"]*)"\s*(.*)$/;
const BO_RE = /^BO_\s+(\d+)\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\d+)\s+(\S+)\s*$/;

interface MutableSignal extends Omit<DbcSignal, 'choices' | 'valueType'> {
  choices: Map<number, string>;
  valueType: SignalValueType;
}
interface MutableMessage extends Omit<DbcMessage, 'signals' | 'multiplexer' | 'comment'> {
  signals: MutableSignal[];
  multiplexer: MutableSignal | undefined;
  comment: string | undefined;
  line: number;
}

/** Statements that end with ';' and may run over several lines; skipped except VAL_, SIG_VALTYPE_ and message CM_. */
const TERMINATED_KEYWORDS = new Set([
  'CM_', 'BA_DEF_', 'BA_', 'BA_DEF_DEF_', 'VAL_', 'VAL_TABLE_', 'SIG_VALTYPE_', 'SIG_GROUP_', 'BO_TX_BU_', 'EV_', 'ENVVAR_DATA_',
  'BA_DEF_REL_', 'BA_REL_', 'BA_DEF_DEF_REL_', 'SG_MUL_VAL_', 'SIGTYPE_VALTYPE_', 'CAT_DEF_', 'CAT_', 'FILTER', 'SGTYPE_', 'SGTYPE_VAL_',
  'BA_DEF_SGTYPE_', 'BA_SGTYPE_', 'SIG_TYPE_REF_', 'BU_SG_REL_', 'BU_EV_REL_', 'BU_BO_REL_', 'EV_DATA_',
]);

function parseNumber(text: string, line: number, what: string, source: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new DbcParseError(line, `${what} "${text}" is not a number`, source);
  return value;
}

export function parseDbc(text: string, options: DbcParseOptions = {}): DbcDatabase {
  const source = options.source ?? 'DBC';
  const maxLength = options.maxLength ?? DBC_MAX_LENGTH;
  const maxMessages = options.maxMessages ?? 8192;
  const maxSignals = options.maxSignalsPerMessage ?? 512;
  if (text.length > maxLength) throw new DbcParseError(1, `DBC of ${text.length} characters; at most ${maxLength} are accepted`, source);

  const lines = text.split(/\r?\n/);
  const messages: MutableMessage[] = [];
  const byKey = new Map<number, MutableMessage>();
  let version = '';
  let nodes: string[] = [];
  let current: MutableMessage | undefined;
  let inNamespaceList = false;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('//')) {
      inNamespaceList = false;
      continue;
    }
    const keyword = /^[A-Za-z_][A-Za-z0-9_]*/.exec(trimmed)?.[0] ?? '';
    // NS_ is followed by indented symbol names (CM_, BA_, ...), one per line: names, not statements.
    if (inNamespaceList && /^\s/.test(raw) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed)) continue;
    inNamespaceList = false;

    if (TERMINATED_KEYWORDS.has(keyword)) {
      // Gather up to the ';' that is outside quotes; strings may hold newlines.
      let statement = '';
      let inString = false;
      let end = -1;
      let j = i;
      for (; j < lines.length && end < 0; j++) {
        const part = j === i ? trimmed : lines[j];
        for (let k = 0; k < part.length; k++) {
          const c = part[k];
          if (c === '"' && part[k - 1] !== '\\') inString = !inString;
          else if (c === ';' && !inString) {
            end = k;
            break;
          }
        }
        statement += (j === i ? '' : '\n') + (end >= 0 ? part.slice(0, end) : part);
      }
      if (end < 0) throw new DbcParseError(lineNo, `${keyword} statement has no closing ';'`, source);
      i = j - 1;
      if (keyword === 'VAL_') applyChoices(statement, lineNo, byKey, source);
      else if (keyword === 'SIG_VALTYPE_') applyValueType(statement, lineNo, byKey, source);
      else if (keyword === 'CM_') applyMessageComment(statement, byKey);
      continue;
    }

    switch (keyword) {
      case 'VERSION': {
        version = /"([^"]*)"/.exec(trimmed)?.[1] ?? '';
        current = undefined;
        break;
      }
      case 'NS_':
        inNamespaceList = true;
        current = undefined;
        break;
      case 'BS_':
        current = undefined;
        break;
      case 'BU_':
        nodes = trimmed.replace(/^BU_\s*:?/, '').trim().split(/\s+/).filter(Boolean);
        current = undefined;
        break;
      case 'BO_': {
        const m = BO_RE.exec(trimmed);
        if (!m) throw new DbcParseError(lineNo, `malformed BO_ line (expected "BO_ <id> <name>: <dlc> <sender>"): ${trimmed.slice(0, 120)}`, source);
        const rawId = parseNumber(m[1], lineNo, 'message id', source);
        if (rawId > 0xffffffff) throw new DbcParseError(lineNo, `message id ${rawId} does not fit 32 bits`, source);
        const extended = rawId >= EXTENDED_FLAG;
        const id = extended ? rawId - EXTENDED_FLAG : rawId;
        if (extended ? id > 0x1fffffff : id > 0x7ff) {
          // Vector writes some pseudo-messages (VECTOR__INDEPENDENT_SIG_MSG, id 0xC0000000) with flag bits above the ID.
          if (m[2] !== 'VECTOR__INDEPENDENT_SIG_MSG') throw new DbcParseError(lineNo, `message id 0x${rawId.toString(16)} is out of range for a ${extended ? '29' : '11'}-bit ID`, source);
        }
        const dlc = parseNumber(m[3], lineNo, 'DLC', source);
        if (dlc > MAX_PAYLOAD_BYTES) throw new DbcParseError(lineNo, `DLC ${dlc} exceeds ${MAX_PAYLOAD_BYTES} bytes`, source);
        if (messages.length >= maxMessages) throw new DbcParseError(lineNo, `more than ${maxMessages} messages`, source);
        const key = canIdKey(id, extended);
        if (byKey.has(key)) throw new DbcParseError(lineNo, `message id ${m[1]} is defined twice (first on line ${byKey.get(key)!.line})`, source);
        current = { id, extended, name: m[2], dlc, sender: m[4], signals: [], multiplexer: undefined, comment: undefined, line: lineNo };
        messages.push(current);
        byKey.set(key, current);
        break;
      }
      case 'SG_': {
        if (!current) throw new DbcParseError(lineNo, 'SG_ outside a message (no BO_ before it)', source);
        const signal = parseSignal(trimmed, lineNo, source);
        if (current.signals.length >= maxSignals) throw new DbcParseError(lineNo, `more than ${maxSignals} signals in ${current.name}`, source);
        if (current.signals.some((s) => s.name === signal.name)) throw new DbcParseError(lineNo, `signal ${signal.name} appears twice in ${current.name}`, source);
        if (signal.isMultiplexer) {
          if (current.multiplexer) throw new DbcParseError(lineNo, `${current.name} has a second multiplexer switch (${signal.name}); extended multiplexing is not supported`, source);
          current.multiplexer = signal;
        }
        current.signals.push(signal);
        break;
      }
      default:
        // Unknown section keywords (and tool-specific ones) are tolerated: one line each.
        current = undefined;
    }
  }

  for (const message of messages) {
    if (message.signals.some((s) => s.multiplexValue !== undefined) && !message.multiplexer) {
      throw new DbcParseError(message.line, `${message.name} has multiplexed signals (m<k>) but no multiplexer switch (M)`, source);
    }
  }

  const frozen: DbcMessage[] = messages.map(({ line: _line, ...m }) => m);
  return {
    version,
    nodes,
    messages: frozen,
    byId: new Map(frozen.map((m) => [canIdKey(m.id, m.extended), m])),
    byName: new Map(frozen.map((m) => [m.name, m])),
  };
}

function parseSignal(line: string, lineNo: number, source: string): MutableSignal {
  const m = SG_RE.exec(line);
  if (!m) {
    throw new DbcParseError(lineNo, `malformed SG_ line (expected "SG_ <name> : <start>|<length>@<0|1><+|-> (<factor>,<offset>) [<min>|<max>] "<unit>" <receivers>"): ${line.slice(0, 120)}`, source);
  }
  const [, name, mux, startText, lengthText, order, sign, factorText, offsetText, minText, maxText, unit, receiversText] = m;
  const startBit = parseNumber(startText, lineNo, 'start bit', source);
  const length = parseNumber(lengthText, lineNo, 'length', source);
  if (length < 1 || length > 64) throw new DbcParseError(lineNo, `signal ${name} has length ${length}; 1 to 64 bits are supported`, source);
  if (startBit >= MAX_PAYLOAD_BYTES * 8) throw new DbcParseError(lineNo, `signal ${name} starts at bit ${startBit}, beyond a 64-byte payload`, source);
  const byteOrder: ByteOrder = order === '1' ? 'little_endian' : 'big_endian';
  const bits = signalBitPositions(startBit, length, byteOrder);
  let maxBit = 0;
  for (const b of bits) maxBit = Math.max(maxBit, b);
  if (maxBit >= MAX_PAYLOAD_BYTES * 8) throw new DbcParseError(lineNo, `signal ${name} runs past a 64-byte payload (bit ${maxBit})`, source);
  const factor = parseNumber(factorText, lineNo, 'factor', source);
  if (factor === 0) throw new DbcParseError(lineNo, `signal ${name} has factor 0`, source);
  let multiplexValue: number | undefined;
  let isMultiplexer = false;
  if (mux === 'M') isMultiplexer = true;
  else if (mux) {
    multiplexValue = Number(/\d+/.exec(mux)![0]);
    if (mux.endsWith('M')) throw new DbcParseError(lineNo, `signal ${name} is both multiplexed and a multiplexer (${mux}); extended multiplexing is not supported`, source);
  }
  return {
    name,
    startBit,
    length,
    byteOrder,
    signed: sign === '-',
    valueType: 'integer',
    factor,
    offset: parseNumber(offsetText, lineNo, 'offset', source),
    minimum: parseNumber(minText, lineNo, 'minimum', source),
    maximum: parseNumber(maxText, lineNo, 'maximum', source),
    unit,
    receivers: receiversText.split(/[\s,]+/).filter(Boolean),
    isMultiplexer,
    multiplexValue,
    choices: new Map(),
    bits,
    minBytes: (maxBit >> 3) + 1,
  };
}

function findSignal(byKey: Map<number, MutableMessage>, rawId: number, name: string): MutableSignal | undefined {
  const extended = rawId >= EXTENDED_FLAG;
  const message = byKey.get(canIdKey(extended ? rawId - EXTENDED_FLAG : rawId, extended));
  return message?.signals.find((s) => s.name === name);
}

/** `VAL_ <id> <signal> <n> "label" ... ;` (VAL_ on environment variables has no id and is skipped). */
function applyChoices(statement: string, lineNo: number, byKey: Map<number, MutableMessage>, source: string): void {
  const head = /^VAL_\s+(\d+)\s+([A-Za-z_][A-Za-z0-9_]*)\s*([\s\S]*)$/.exec(statement.trim());
  if (!head) return;
  const signal = findSignal(byKey, Number(head[1]), head[2]);
  if (!signal) throw new DbcParseError(lineNo, `VAL_ names signal ${head[2]} of message ${head[1]}, which is not defined`, source);
  const pairs = /(-?\d+(?:\.\d+)?)\s+"([^"]*)"/g;
  let rest = head[3];
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = pairs.exec(rest)) !== null) {
    signal.choices.set(Number(m[1]), m[2]);
    consumed = pairs.lastIndex;
  }
  rest = rest.slice(consumed).trim();
  if (rest !== '') throw new DbcParseError(lineNo, `VAL_ for ${head[2]}: cannot read "${rest.slice(0, 40)}" (expected <value> "<label>" pairs)`, source);
}

/** `SIG_VALTYPE_ <id> <signal> : <1|2>;` marks IEEE float32 (1) or float64 (2) signals. */
function applyValueType(statement: string, lineNo: number, byKey: Map<number, MutableMessage>, source: string): void {
  const m = /^SIG_VALTYPE_\s+(\d+)\s+([A-Za-z_][A-Za-z0-9_]*)\s*:?\s*(\d)\s*$/.exec(statement.trim());
  if (!m) throw new DbcParseError(lineNo, `malformed SIG_VALTYPE_: ${statement.slice(0, 80)}`, source);
  const signal = findSignal(byKey, Number(m[1]), m[2]);
  if (!signal) throw new DbcParseError(lineNo, `SIG_VALTYPE_ names signal ${m[2]} of message ${m[1]}, which is not defined`, source);
  if (m[3] === '0') return;
  const type: SignalValueType = m[3] === '1' ? 'float32' : m[3] === '2' ? 'float64' : 'integer';
  const need = type === 'float32' ? 32 : type === 'float64' ? 64 : 0;
  if (need === 0 || signal.length !== need) throw new DbcParseError(lineNo, `SIG_VALTYPE_ ${m[3]} for ${m[2]} needs a ${need || '32 or 64'}-bit signal; it has ${signal.length}`, source);
  signal.valueType = type;
}

/** `CM_ BO_ <id> "text";` is kept on the message; other comments are skipped. */
function applyMessageComment(statement: string, byKey: Map<number, MutableMessage>): void {
  const m = /^CM_\s+BO_\s+(\d+)\s+"([\s\S]*)"\s*$/.exec(statement.trim());
  if (!m) return;
  const rawId = Number(m[1]);
  const extended = rawId >= EXTENDED_FLAG;
  const message = byKey.get(canIdKey(extended ? rawId - EXTENDED_FLAG : rawId, extended));
  if (message) message.comment = m[2];
}
