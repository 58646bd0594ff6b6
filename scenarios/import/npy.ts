import { ImportError } from './import-error.js';

/**
 * NumPy .npy files (format versions 1.0 and 2.0): the magic "\x93NUMPY", two version bytes, the
 * header length (uint16 LE in 1.0, uint32 LE in 2.0), a Python dict literal with descr,
 * fortran_order and shape, then the raw array. Little-endian f8/f4/i8/i4, u1 and fixed-width byte
 * strings (|S<n>) are read; 2-D Fortran-order arrays are transposed to C order. The header must
 * account for every byte of the file: a truncated array is an error, not a short read.
 */

export type NpyData = Float64Array | Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface NpyArray {
  /** As written in the header, e.g. '<f8', '|S8'. */
  readonly descr: string;
  readonly shape: readonly number[];
  /** Bytes per element. */
  readonly itemSize: number;
  /** C-order elements; for |S<n>, itemSize bytes per element. */
  readonly data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
export const NPY_MAX_HEADER = 64 * 1024;

interface Dtype {
  itemSize: number;
  make: (bytes: Uint8Array) => NpyData;
}

function dtypeOf(descr: string): Dtype | undefined {
  // A copy, aligned at offset 0 (and never Buffer.slice, which is a view into the file's buffer).
  const copy = (b: Uint8Array) => new Uint8Array(b);
  const view = <T>(Ctor: new (buffer: ArrayBuffer) => T) => (b: Uint8Array) => new Ctor(copy(b).buffer);
  switch (descr) {
    case '<f8': return { itemSize: 8, make: view(Float64Array) as Dtype['make'] };
    case '<f4': return { itemSize: 4, make: view(Float32Array) as Dtype['make'] };
    case '<i8': return { itemSize: 8, make: view(BigInt64Array) as Dtype['make'] };
    case '<i4': return { itemSize: 4, make: view(Int32Array) as Dtype['make'] };
    case '|u1': case '<u1': return { itemSize: 1, make: copy };
  }
  const s = /^\|S(\d{1,4})$/.exec(descr);
  if (s && Number(s[1]) > 0) return { itemSize: Number(s[1]), make: copy };
  return undefined;
}

/** Parses the header dict; the literal numpy writes is simple enough for patterns. */
function parseHeader(text: string, file: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ImportError(file, `NPY header lacks descr, fortran_order or shape: ${text.trim().slice(0, 120)}`);
  }
  const parts = shapeText.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length > 8 || !parts.every((p) => /^\d{1,12}$/.test(p))) throw new ImportError(file, `NPY shape (${shapeText}) is not a tuple of up to 8 sizes`);
  return { descr, fortranOrder: fortran === 'True', shape: parts.map(Number) };
}

export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new ImportError(file, 'not a NumPy .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1 && minor === 0) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 && minor === 0) {
    if (bytes.length < 12) throw new ImportError(file, 'NPY 2.0 file too short for its header length');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new ImportError(file, `NPY format version ${major}.${minor} is not supported (1.0 and 2.0 are)`);
  }
  if (headerLength > NPY_MAX_HEADER) throw new ImportError(file, `NPY header of ${headerLength} bytes; at most ${NPY_MAX_HEADER}`);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new ImportError(file, `NPY header runs past the end of the file (${dataStart} > ${bytes.length} bytes)`);
  const header = parseHeader(new TextDecoder('latin1').decode(bytes.subarray(headerStart, dataStart)), file);
  const dtype = dtypeOf(header.descr);
  if (!dtype) throw new ImportError(file, `NPY dtype '${header.descr}' is not supported (<f8, <f4, <i8, <i4, |u1, |S<n>)`);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const expected = count * dtype.itemSize;
  const actual = bytes.length - dataStart;
  if (!Number.isSafeInteger(expected) || actual !== expected) {
    const what = actual < expected ? 'truncated' : 'longer than its header says';
    throw new ImportError(file, `NPY array is ${what}: header says shape (${header.shape.join(', ')}) of ${header.descr} = ${expected} bytes, the file holds ${actual}`);
  }
  let body = bytes.subarray(dataStart);
  if (header.fortranOrder && header.shape.length > 1) {
    if (header.shape.length !== 2) throw new ImportError(file, `Fortran-order NPY arrays of ${header.shape.length} dimensions are not supported (2 are)`);
    body = transposeToC(body, header.shape[0], header.shape[1], dtype.itemSize);
  }
  return { descr: header.descr, shape: header.shape, itemSize: dtype.itemSize, data: dtype.make(body) };
}

/** Fortran order stores column after column; C order wants row after row. */
function transposeToC(body: Uint8Array, rows: number, cols: number, itemSize: number): Uint8Array {
  const out = new Uint8Array(body.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const from = (c * rows + r) * itemSize;
      out.set(body.subarray(from, from + itemSize), (r * cols + c) * itemSize);
    }
  }
  return out;
}

/** The array as float64 values, for <f8 arrays (checked). */
export function npyFloat64(array: NpyArray, file: string): Float64Array {
  if (!(array.data instanceof Float64Array)) throw new ImportError(file, `expected a <f8 array, found ${array.descr}`);
  return array.data;
}

/** <i8 values as numbers; every value must be a safe integer. */
export function npyInt64AsNumbers(array: NpyArray, file: string): Float64Array {
  if (!(array.data instanceof BigInt64Array)) throw new ImportError(file, `expected an <i8 array, found ${array.descr}`);
  const out = new Float64Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = array.data[i];
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ImportError(file, `element ${i} (${v}) is beyond 2^53`);
    out[i] = Number(v);
  }
  return out;
}

/** Element i of a |S<n> array (bytes as stored; numpy pads short strings with zeros). */
export function npyBytesAt(array: NpyArray, i: number): Uint8Array {
  return (array.data as Uint8Array).subarray(i * array.itemSize, (i + 1) * array.itemSize);
}

/** Writes an NPY 1.0 file in C order (the header padded so the data starts on a 64-byte boundary, as numpy does). */
export function encodeNpy(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}
