import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GnssFix } from '../../engine/core/frames.js';
import { createRng } from '../../engine/core/prng.js';
import { createNmeaDecoder, type NmeaDecoderOptions } from './nmea-decoder.js';
import { encodeGga, encodeRmc, nmeaSentence } from './nmea-encode.js';

const FIXTURES = new URL('../../test/fixtures/gps_nmea/', import.meta.url);
const log = (name: string): Buffer => readFileSync(new URL(`${name}.log`, FIXTURES));
const iso = (f: GnssFix): string => new Date(Number(f.stamp / 1_000_000n)).toISOString();

function decodeAll(bytes: Uint8Array, chunkSizes: (i: number) => number, options: Partial<NmeaDecoderOptions> = {}): { fixes: GnssFix[]; errors: Record<string, number> } {
  const d = createNmeaDecoder({ sensorId: 'gnss', ...options });
  const fixes: GnssFix[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = Math.max(1, chunkSizes(k));
    fixes.push(...d.push(bytes.subarray(i, i + n), 0n));
    i += n;
  }
  fixes.push(...d.flush());
  return { fixes, errors: { ...d.stats.errors } };
}

describe('createNmeaDecoder on real logs', () => {
  it('gives the same fixes however the stream is cut, with CR LF or LF', () => {
    const bytes = log('ublox-zed-f9p-nmea');
    const whole = decodeAll(bytes, () => bytes.length);
    const rng = createRng(7);
    expect(decodeAll(bytes, () => 1)).toEqual(whole);
    expect(decodeAll(bytes, () => rng.int(1, 300))).toEqual(whole);
    const lfOnly = Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    expect(decodeAll(lfOnly, () => 97)).toEqual(whole);
    expect(whole.fixes).toHaveLength(29);
  });

  it('joins GGA, GSA and RMC of one epoch (SiRF IV)', () => {
    const { fixes, errors } = decodeAll(log('bu353s4'), () => 4096);
    expect(errors).toEqual({});
    const f = fixes[0];
    expect(iso(f)).toBe('2014-12-31T03:07:19.000Z');
    expect(f).toMatchObject({
      modality: 'gnss', sensorId: 'gnss', frameId: 'gnss', seq: 0, fixType: '3d', satellites: 8, hdop: 1.1, pdop: 1.8, vdop: 1.5,
      altitudeMsl: 59.9, geoidSeparation: 23.7,
    });
    expect(f.latitude).toBeCloseTo(-(37 + 47.0873 / 60), 12);
    expect(f.speed).toBeCloseTo(0.69 * 1852 / 3600, 12);
    expect(f.track).toBe(181.39);
    expect(Number.isNaN(f.heading)).toBe(true);
    expect(fixes.map((x) => x.seq)).toEqual(fixes.map((_, i) => i));
    // One fix a second, on the second.
    for (let i = 1; i < fixes.length; i++) expect(fixes[i].stamp - fixes[i - 1].stamp).toBe(1_000_000_000n);
  });

  it('takes σ from GST into an ENU diagonal covariance, DGPS from GGA quality 2 (iSync)', () => {
    const { fixes } = decodeAll(log('isync'), () => 512);
    const f = fixes[0];
    expect(f.fixType).toBe('dgps');
    expect(f.covariance).toEqual([0.49 ** 2, 0, 0, 0, 0.7 ** 2, 0, 0, 0, 1.1 ** 2]);
    expect(iso(f)).toBe('2016-02-03T13:15:19.000Z');
  });

  it('takes the true heading from HDT and 10 Hz GGA epochs between full seconds (OxTS RT)', () => {
    const { fixes } = decodeAll(log('rst39'), () => 1000);
    const second = fixes.find((f) => iso(f) === '2014-02-19T20:41:33.000Z');
    expect(second?.heading).toBe(25.5);
    expect(second?.speed).toBeGreaterThan(0);
    const tenth = fixes.find((f) => iso(f) === '2014-02-19T20:41:33.100Z');
    expect(tenth?.fixType).toBe('dgps');
  });

  it('reads BeiDou GN/GB multi-constellation output: GNS modes and no-fix epochs', () => {
    const { fixes } = decodeAll(log('beidou-gb'), () => 4096);
    expect(fixes.slice(0, 3).map((f) => f.fixType)).toEqual(['none', 'none', 'none']);
    expect(Number.isNaN(fixes[0].latitude)).toBe(true);
    expect(fixes[4].fixType).toBe('3d');
    expect(fixes[4].altitudeMsl).toBe(167.2);
  });

  it('emits on a cycle-ending sentence when the pattern is configured, with the same fixes', () => {
    const bytes = log('bu353s4');
    const lines = bytes.toString('latin1').split('\n').filter((l) => l.startsWith('$'));
    const d = createNmeaDecoder({ sensorId: 'gnss', cycleEndTypes: ['RMC'] });
    const early: GnssFix[] = [];
    for (const [i, line] of lines.entries()) {
      const out = d.push(Buffer.from(`${line}\n`), BigInt(i));
      if (line.includes('RMC')) expect(out).toHaveLength(1);
      else expect(out).toHaveLength(0);
      early.push(...out.map((f) => ({ ...f, receivedAt: 0n })));
    }
    expect(d.flush()).toEqual([]);
    const late = decodeAll(bytes, () => 4096).fixes;
    expect(early).toEqual(late);
  });

  it('counts a sentence of an epoch already emitted as late, and uses it no more', () => {
    const d = createNmeaDecoder({ sensorId: 'gnss', cycleEndTypes: ['GGA'] });
    const gga = '$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D\n';
    const rmc = '$GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A*7D\n';
    expect(d.push(Buffer.from(gga + rmc), 5n)).toHaveLength(1);
    expect(d.stats.errors).toEqual({ 'late-sentence': 1 });
    expect(d.flush()).toEqual([]);
  });
});

describe('createNmeaDecoder on damaged input', () => {
  const GGA = '$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D';
  const RMC = '$GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A*7D';

  it('never makes a fix from a sentence spliced into another', () => {
    // RMC injected into the middle of GGA, as in isync.log: GGA's head is cut short by RMC's '$',
    // GGA's tail follows RMC's line end without a '$' of its own.
    const spliced = `${GGA.slice(0, 30)}${RMC}\r\n${GGA.slice(30)}\r\n`;
    const d = createNmeaDecoder({ sensorId: 'g' });
    d.push(Buffer.from(spliced), 1n);
    const fixes = d.flush();
    expect(d.stats.errors).toEqual({ interrupted: 1, 'no-start': 1 });
    // Only the intact RMC counts: a 2D fix, no altitude from the broken GGA.
    expect(fixes).toHaveLength(1);
    expect(fixes[0].fixType).toBe('2d');
    expect(Number.isNaN(fixes[0].altitudeMsl)).toBe(true);
    // Without a line break after the injected sentence, its checksum fails with the tail on it.
    const d2 = createNmeaDecoder({ sensorId: 'g' });
    d2.push(Buffer.from(`${GGA.slice(0, 30)}${RMC}${GGA.slice(30)}\n`), 1n);
    expect(d2.flush()).toEqual([]);
    expect(d2.stats.errors).toEqual({ interrupted: 1, 'bad-checksum': 1 });
  });

  it('counts checksum-less lines and skips # comments and empty lines', () => {
    const d = createNmeaDecoder({ sensorId: 'g' });
    d.push(Buffer.from(`# comment with a $ inside\r\n\r\n$STI,IC,error=4\r\n${GGA.slice(0, -3)}\n${GGA.replace('*7D', '*7C')}\n`), 0n);
    expect(d.flush()).toEqual([]);
    expect(d.stats.errors).toEqual({ 'no-checksum': 2, 'bad-checksum': 1 });
    expect(d.stats.accepted).toBe(0);
  });

  it('bounds its line buffer and resynchronises on the next $', () => {
    const d = createNmeaDecoder({ sensorId: 'g', maxLineLength: 100 });
    const rng = createRng(3);
    for (let i = 0; i < 100; i++) {
      d.push(Uint8Array.from({ length: 97 }, () => 0x41 + rng.int(0, 25)), 0n);
      expect(d.bufferedBytes).toBeLessThanOrEqual(102);
    }
    expect(d.stats.errors['too-long']).toBeGreaterThan(0);
    d.push(Buffer.from(`garbage${GGA}\n${RMC}\n`), 9n);
    const fixes = d.flush();
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ fixType: '3d', receivedAt: 9n, seq: 0 });
  });
});

describe('createNmeaDecoder stamps', () => {
  const at = (iso: string): number => Date.parse(iso);
  const gga = (utcMillis: number): string => encodeGga({ utcMillis, latitude: 49, longitude: 8.4, quality: 1, satellites: 9, hdop: 0.9, altitudeMsl: 110, geoidSeparation: 47.9 });
  const rmc = (utcMillis: number): string => encodeRmc({ utcMillis, latitude: 49, longitude: 8.4, speed: 3, course: 90 });
  const ns = (iso: string): bigint => BigInt(at(iso)) * 1_000_000n;

  it('moves the date on at midnight between dated epochs', () => {
    const d = createNmeaDecoder({ sensorId: 'g' });
    const t0 = at('2024-02-28T23:59:59.000Z');
    const text = [rmc(t0), gga(t0), gga(t0 + 500), gga(t0 + 1000), gga(t0 + 1500)].join('\r\n') + '\r\n';
    const fixes = [...d.push(Buffer.from(text), 0n), ...d.flush()];
    expect(fixes.map((f) => new Date(Number(f.stamp / 1_000_000n)).toISOString())).toEqual([
      '2024-02-28T23:59:59.000Z', '2024-02-28T23:59:59.500Z', '2024-02-29T00:00:00.000Z', '2024-02-29T00:00:00.500Z',
    ]);
  });

  it('before any date, takes the UTC day that puts the stamp nearest the host clock', () => {
    const d = createNmeaDecoder({ sensorId: 'g' });
    d.push(Buffer.from(`${gga(at('2024-05-01T23:59:59.500Z'))}\n`), ns('2024-05-02T00:00:00.300Z'));
    expect(d.flush()[0].stamp).toBe(ns('2024-05-01T23:59:59.500Z'));
    const assumed = createNmeaDecoder({ sensorId: 'g', assumeDate: '2011-09-26' });
    assumed.push(Buffer.from(`${gga(at('2024-05-01T13:02:25.960Z'))}\n`), 0n);
    expect(assumed.flush()[0].stamp).toBe(ns('2011-09-26T13:02:25.960Z'));
  });

  it('moves dates of a week-rollover victim 1024 weeks on, from a configurable floor', () => {
    const line = nmeaSentence('GPRMC,120000.00,A,4829.0005,N,00022.0016,E,0.16,212.28,220899,,,A');
    const d = createNmeaDecoder({ sensorId: 'g' });
    d.push(Buffer.from(`${line}\n`), 0n);
    expect(d.flush()[0].stamp).toBe(ns('2019-04-07T12:00:00.000Z'));
    const later = createNmeaDecoder({ sensorId: 'g', weekRolloverFloor: '1990-01-01' });
    later.push(Buffer.from(`${line}\n`), 0n);
    expect(later.flush()[0].stamp).toBe(ns('1999-08-22T12:00:00.000Z'));
  });
});

describe('createNmeaDecoder options', () => {
  it('throws on a bad option, naming it', () => {
    expect(() => createNmeaDecoder({ sensorId: '' })).toThrow(/sensorId/);
    expect(() => createNmeaDecoder({ sensorId: 'g', maxLineLength: 10 })).toThrow(/maxLineLength/);
    expect(() => createNmeaDecoder({ sensorId: 'g', cycleEndTypes: ['XYZ' as 'GGA'] })).toThrow(/cycleEndTypes/);
    expect(() => createNmeaDecoder({ sensorId: 'g', assumeDate: '26.9.2011' })).toThrow(/assumeDate/);
    expect(() => createNmeaDecoder({ sensorId: 'g', typo: 1 } as NmeaDecoderOptions)).toThrow(/typo|unrecognized/i);
  });

  it('uses frameId when given', () => {
    const d = createNmeaDecoder({ sensorId: 'g', frameId: 'antenna', onIssue: () => {} });
    d.push(Buffer.from('$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D\n'), 0n);
    expect(d.flush()[0].frameId).toBe('antenna');
  });
});
