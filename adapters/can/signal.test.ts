import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDbc } from './dbc.js';
import { decodeCanFrame, encodeCanFrame, extractRaw } from './signal.js';

/*
 * Reference values for Motorola signals come from cantools' own tests (eerimoq/cantools,
 * tests/test_database.py, test_motohawk_encode_decode, and the C sources generated from
 * tests/files/dbc/motohawk.dbc): with
 *   SG_ Enable : 7|1@0+ (1,0) [0|0] "-"
 *   SG_ AverageRadius : 6|6@0+ (0.1,0) [0|5] "m"
 *   SG_ Temperature : 0|12@0- (0.01,250) [229.53|270.47] "degK"
 * {Temperature 250.55, AverageRadius 3.2, Enable 1} encodes to c0 06 e0 00 00 00 00 00
 * (raw 55, 32, 1) and {229.53, 0, 0} to 01 00 20 00 00 00 00 00 (Temperature raw −2047).
 * (cantools' README lists these three signals of ExampleMessage, id 0x1f0, with VAL_ 0 "Disabled" 1 "Enabled".)
 */
const MOTOHAWK = parseDbc(`BO_ 496 ExampleMessage: 8 PCM1
 SG_ Temperature : 0|12@0- (0.01,250) [229.53|270.47] "degK"  PCM1,FOO
 SG_ AverageRadius : 6|6@0+ (0.1,0) [0|5] "m" Vector__XXX
 SG_ Enable : 7|1@0+ (1,0) [0|0] "-" Vector__XXX

VAL_ 496 Enable 0 "Disabled" 1 "Enabled" ;
`);

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

describe('DBC signals against cantools\u2019 motohawk example (Motorola, signed, factor/offset, VAL_)', () => {
  const message = MOTOHAWK.byName.get('ExampleMessage')!;

  it('decodes c006e00000000000', () => {
    const d = decodeCanFrame(MOTOHAWK, 496, bytes('c006e00000000000'))!;
    expect(d.message.name).toBe('ExampleMessage');
    expect(d.signals.Enable).toBe(1);
    expect(d.signals.AverageRadius).toBeCloseTo(3.2, 12);
    expect(d.signals.Temperature).toBeCloseTo(250.55, 12);
    expect(d.labels).toEqual({ Enable: 'Enabled' });
    expect(message.signals.map((s) => extractRaw(s, bytes('c006e00000000000')))).toEqual([55, 32, 1]);
  });

  it('decodes a negative raw value (two\u2019s complement)', () => {
    const d = decodeCanFrame(MOTOHAWK, 496, bytes('0100200000000000'))!;
    expect(extractRaw(message.signals[0], bytes('0100200000000000'))).toBe(-2047);
    expect(d.signals.Temperature).toBeCloseTo(229.53, 12);
    expect(d.labels).toEqual({ Enable: 'Disabled' });
    expect(extractRaw(message.signals[0], bytes('0100000000000000'))).toBe(-2048);
  });

  it('encodes to the same bytes', () => {
    expect(encodeCanFrame(message, { Temperature: 250.55, AverageRadius: 3.2, Enable: 1 })).toEqual(bytes('c006e00000000000'));
    expect(encodeCanFrame(message, { Temperature: 229.53, AverageRadius: 0, Enable: 0 })).toEqual(bytes('0100200000000000'));
  });

  it('unknown IDs give undefined; short payloads list the missing signals', () => {
    expect(decodeCanFrame(MOTOHAWK, 497, bytes('00'))).toBeUndefined();
    const d = decodeCanFrame(MOTOHAWK, 496, bytes('c006'))!;
    expect(d.missing).toEqual(['Temperature']);
    expect(d.signals.Enable).toBe(1);
  });
});

describe('hand-built frames', () => {
  const db = parseDbc(`BO_ 256 INTEL: 8 X
 SG_ U4 : 4|4@1+ (1,0) [0|0] "" X
 SG_ S12 : 8|12@1- (1,0) [0|0] "" X
 SG_ CROSS : 30|10@1+ (2,-5) [0|0] "" X
 SG_ WIDE : 40|24@1+ (1,0) [0|0] "" X
BO_ 257 BIG64: 8 X
 SG_ U64 : 0|64@1+ (1,0) [0|0] "" X
BO_ 258 MOTO64: 8 X
 SG_ S64 : 7|64@0- (1,0) [0|0] "" X
BO_ 259 MUXED: 8 X
 SG_ MODE M : 0|2@1+ (1,0) [0|0] "" X
 SG_ A m0 : 8|8@1+ (1,0) [0|0] "" X
 SG_ B m1 : 8|8@1- (1,0) [0|0] "" X
 SG_ ALWAYS : 16|8@1+ (1,0) [0|0] "" X
BO_ 260 FLOATS: 8 X
 SG_ F32 : 0|32@1- (1,0) [0|0] "" X
 SG_ F32B : 39|32@0- (2,1) [0|0] "" X
BO_ 2566844693 J1939: 8 X
 SG_ SPEED : 8|16@1+ (0.00390625,0) [0|250.996] "km/h" X
SIG_VALTYPE_ 260 F32 : 1;
SIG_VALTYPE_ 260 F32B : 1;
`);

  it('Intel: LSB at the start bit, running upward through bytes; signed and scaled', () => {
    // U4 = upper nibble of byte 0; S12 = byte 1 + low nibble of byte 2; CROSS = bits 30..39; WIDE = bytes 5..7.
    const data = bytes('a0ff0bc0ff123456');
    const d = decodeCanFrame(db, 256, data)!;
    expect(d.signals.U4).toBe(0xa);
    expect(d.signals.S12).toBe(0xbff - 4096); // 0xbff has its sign bit set
    // bits 30,31 of byte 3 (0xc0 → both 1) and byte 4 (0xff): raw = 0b1111111111 = 1023
    expect(d.signals.CROSS).toBe(1023 * 2 - 5);
    expect(d.signals.WIDE).toBe(0x563412);
  });

  it('64-bit signals, Intel unsigned and Motorola signed, through BigInt exactly', () => {
    const big = db.byName.get('BIG64')!.signals[0];
    expect(extractRaw(big, bytes('0123456789abcdef'))).toBe(0xefcdab8967452301n);
    const moto = db.byName.get('MOTO64')!.signals[0];
    expect(extractRaw(moto, bytes('fffffffffffffffe'))).toBe(-2n);
    expect(extractRaw(moto, bytes('0123456789abcdef'))).toBe(0x0123456789abcdefn);
    expect(encodeCanFrame(db.byName.get('MOTO64')!, { S64: -2 })).toEqual(bytes('fffffffffffffffe'));
  });

  it('multiplexing: only the signals of the switch value are decoded', () => {
    expect(decodeCanFrame(db, 259, bytes('00ff07'))!.signals).toEqual({ MODE: 0, A: 255, ALWAYS: 7 });
    expect(decodeCanFrame(db, 259, bytes('01ff07'))!.signals).toEqual({ MODE: 1, B: -1, ALWAYS: 7 });
    expect(decodeCanFrame(db, 259, bytes('02ff07'))!.signals).toEqual({ MODE: 2, ALWAYS: 7 });
    const m = db.byName.get('MUXED')!;
    expect(encodeCanFrame(m, { MODE: 1, A: 9, B: -1, ALWAYS: 7 }, 3)).toEqual(bytes('01ff07'));
  });

  it('IEEE float signals (SIG_VALTYPE_ 1), Intel and Motorola', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat32(0, -1.5, true);
    new DataView(data.buffer).setFloat32(4, 3.25, false);
    const d = decodeCanFrame(db, 260, data)!;
    expect(d.signals.F32).toBe(-1.5);
    expect(d.signals.F32B).toBe(3.25 * 2 + 1);
    expect(encodeCanFrame(db.byName.get('FLOATS')!, { F32: -1.5, F32B: 7.5 })).toEqual(data);
  });

  it('extended (29-bit) IDs', () => {
    expect(decodeCanFrame(db, 0x18fef115, bytes('00c012000000000'.padEnd(16, '0')))!.signals.SPEED).toBeCloseTo(0x12c0 / 256, 12);
    expect(decodeCanFrame(db, 0x18fef115, new Uint8Array(8), false)).toBeUndefined();
  });

  it('encode then decode is the identity on raw values (fast-check)', () => {
    const messages = db.messages.filter((m) => m.name !== 'FLOATS');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: messages.length - 1 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (mi, payload) => {
        const message = messages[mi];
        const decoded = decodeCanFrame(db, message.id, payload, message.extended)!;
        const again = encodeCanFrame(message, decoded.signals, 8);
        const redecoded = decodeCanFrame(db, message.id, again, message.extended)!;
        expect(redecoded.signals).toEqual(decoded.signals);
      }),
      { numRuns: 300 },
    );
  });
});
