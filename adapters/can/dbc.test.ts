import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DbcParseError, parseDbc, signalBitPositions } from './dbc.js';

const TOYOTA = readFileSync(fileURLToPath(new URL('../../test/fixtures/comma2k19/toyota_adas.dbc', import.meta.url)), 'latin1');

function parseError(text: string): DbcParseError {
  try {
    parseDbc(text, { source: 'x.dbc' });
  } catch (err) {
    if (err instanceof DbcParseError) return err;
    throw err;
  }
  throw new Error('expected a DbcParseError');
}

describe('parseDbc', () => {
  it('reads opendbc\u2019s toyota_adas.dbc: messages, signals, comments skipped, VAL_ tables', () => {
    const db = parseDbc(TOYOTA);
    expect(db.messages).toHaveLength(33);
    expect(db.nodes).toEqual(['XXX']);
    const track = db.byName.get('TRACK_A_0')!;
    expect(track).toMatchObject({ id: 528, extended: false, dlc: 8, sender: 'XXX' });
    expect(track.signals.map((s) => s.name)).toEqual(['COUNTER', 'LAT_DIST', 'LONG_DIST', 'NEW_TRACK', 'REL_SPEED', 'VALID', 'CHECKSUM']);
    expect(track.signals[1]).toMatchObject({ startBit: 31, length: 11, byteOrder: 'big_endian', signed: true, factor: 0.04, offset: 0, minimum: -50, maximum: 50, unit: 'm' });
    expect(db.byName.get('TRACK_B_8')!.dlc).toBe(6);
    const status = db.byId.get(291)!.signals.find((s) => s.name === 'RADAR_STATUS')!;
    expect([...status.choices]).toEqual([[0, 'no points'], [1, 'ok'], [3, 'fault']]);
  });

  it('reads extended IDs (bit 31), multiplexers, float types, multi-line comments and attributes', () => {
    const db = parseDbc(`VERSION "1.0"
NS_ :
    CM_
    BA_DEF_

BU_: A B
BO_ 2147484672 EXT: 8 A
 SG_ MUX M : 0|8@1+ (1,0) [0|255] "" B
 SG_ LOW m0 : 8|16@1+ (1,0) [0|0] "" B
 SG_ HIGH m1 : 8|16@1- (0.5,-1) [0|0] "V" B,A
 SG_ F : 32|32@1- (1,0) [0|0] "" B
CM_ BO_ 2147484672 "a comment
that spans lines; with a semicolon inside";
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
BA_ "GenMsgCycleTime" BO_ 2147484672 100;
SIG_VALTYPE_ 2147484672 F : 1;
`);
    const m = db.messages[0];
    expect(m).toMatchObject({ id: 0x400, extended: true, name: 'EXT' });
    expect(m.comment).toBe('a comment\nthat spans lines; with a semicolon inside');
    expect(m.multiplexer?.name).toBe('MUX');
    expect(m.signals.map((s) => [s.name, s.multiplexValue])).toEqual([['MUX', undefined], ['LOW', 0], ['HIGH', 1], ['F', undefined]]);
    expect(m.signals[2].receivers).toEqual(['B', 'A']);
    expect(m.signals[3].valueType).toBe('float32');
    expect(db.byId.has(0x400)).toBe(false); // the standard ID 0x400 is another message
  });

  it('errors name the line', () => {
    expect(parseError('BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|1] "" X\n SG_ bad line\n')).toMatchObject({ line: 3 });
    expect(parseError(' SG_ S : 0|8@1+ (1,0) [0|1] "" X\n').message).toMatch(/^x\.dbc:1: SG_ outside a message/);
    expect(parseError('BO_ 1 A: 8 X\nBO_ 1 B: 8 X\n')).toMatchObject({ line: 2 });
    expect(parseError('BO_ 1 A: 8 X\n SG_ S : 0|65@1+ (1,0) [0|1] "" X\n').message).toMatch(/length 65/);
    expect(parseError('BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|1] "" X\n\nCM_ "never closed\n').message).toMatch(/x\.dbc:4: CM_ statement has no closing/);
    expect(parseError('BO_ 1 A: 8 X\n SG_ S m1 : 0|8@1+ (1,0) [0|1] "" X\n').message).toMatch(/no multiplexer switch/);
    expect(parseError('VAL_ 7 S 0 "x";\n').message).toMatch(/not defined/);
    expect(parseError('BO_ 4096 A: 8 X\n').message).toMatch(/out of range for a 11-bit ID/);
    expect(() => parseDbc('x'.repeat(100), { maxLength: 10 })).toThrow(/at most 10/);
  });

  it('Motorola bit numbering: start bit = MSB, sawtooth through the bytes (canmatrix wiki example)', () => {
    // ebroecker/canmatrix wiki "signal Byteorder": signal1 7|32@0- occupies bytes 0..3, MSB first.
    expect([...signalBitPositions(7, 32, 'big_endian')]).toEqual([
      7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 23, 22, 21, 20, 19, 18, 17, 16, 31, 30, 29, 28, 27, 26, 25, 24,
    ]);
    // Intel: start bit = LSB, upward; listed MSB first.
    expect([...signalBitPositions(4, 8, 'little_endian')]).toEqual([11, 10, 9, 8, 7, 6, 5, 4]);
  });

  it('random text never throws anything but a DbcParseError (fast-check)', () => {
    const lines = TOYOTA.split('\n');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => lines.slice(a % lines.length, (a % lines.length) + (b % 40)).join('\n')),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 127 })).map(([at, c]) => {
            const i = at % TOYOTA.length;
            return TOYOTA.slice(0, i) + String.fromCharCode(c) + TOYOTA.slice(i + 1);
          }),
        ),
        (text) => {
          try {
            parseDbc(text);
          } catch (err) {
            expect(err).toBeInstanceOf(DbcParseError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
