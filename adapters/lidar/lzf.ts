/**
 * LZF (liblzf), the compression of PCD's binary_compressed: a stream of literal runs (control byte
 * < 32: copy control + 1 bytes) and back-references (length in the top 3 bits, + an extra byte when
 * they are all set; distance in the low 5 bits and the next byte). Decompression checks every bound:
 * a reference before the start, a run past either end, or an output of the wrong size is an error.
 */

export type LzfResult = { ok: true; data: Uint8Array } | { ok: false; message: string };

export function lzfDecompress(input: Uint8Array, outputLength: number): LzfResult {
  const out = new Uint8Array(outputLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > input.length) return { ok: false, message: `literal run of ${run} at ${ip - 1} passes the end of the input` };
      if (op + run > outputLength) return { ok: false, message: `literal run of ${run} passes the declared ${outputLength} bytes` };
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= input.length) return { ok: false, message: 'back-reference length byte missing' };
      len += input[ip++];
    }
    len += 2;
    if (ip >= input.length) return { ok: false, message: 'back-reference distance byte missing' };
    const ref = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
    if (ref < 0) return { ok: false, message: `back-reference to ${ref}, before the start of the output` };
    if (op + len > outputLength) return { ok: false, message: `back-reference of ${len} passes the declared ${outputLength} bytes` };
    // Byte by byte: a reference may overlap the bytes it produces.
    for (let k = 0; k < len; k++) out[op + k] = out[ref + k];
    op += len;
  }
  if (op !== outputLength) return { ok: false, message: `decompressed ${op} bytes, declared ${outputLength}` };
  return { ok: true, data: out };
}

const HASH_BITS = 14;
const MAX_OFFSET = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LITERAL = 32;

/** A plain greedy LZF compressor (compatible with liblzf's decoder); for writing PCD files and tests. */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let literalStart = 0;
  const flushLiterals = (end: number) => {
    for (let s = literalStart; s < end; s += MAX_LITERAL) {
      const n = Math.min(MAX_LITERAL, end - s);
      out.push(n - 1);
      for (let k = 0; k < n; k++) out.push(input[s + k]);
    }
  };
  let i = 0;
  while (i + 2 < input.length) {
    const h = (((input[i] << 16) | (input[i + 1] << 8) | input[i + 2]) * 2654435761) >>> (32 - HASH_BITS);
    const ref = table[h];
    table[h] = i;
    const off = i - ref - 1;
    if (ref >= 0 && off < MAX_OFFSET && input[ref] === input[i] && input[ref + 1] === input[i + 1] && input[ref + 2] === input[i + 2]) {
      let len = 3;
      const maxLen = Math.min(MAX_REF, input.length - i);
      while (len < maxLen && input[ref + len] === input[i + len]) len++;
      flushLiterals(i);
      const l = len - 2;
      if (l < 7) out.push((l << 5) | (off >> 8));
      else out.push((7 << 5) | (off >> 8), l - 7);
      out.push(off & 0xff);
      i += len;
      literalStart = i;
    } else {
      i++;
    }
  }
  flushLiterals(input.length);
  return Uint8Array.from(out);
}
