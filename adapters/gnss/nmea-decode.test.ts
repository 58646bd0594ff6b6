import { describe, expect, it } from 'vitest';
import {
  assembleFix, decodeNmeaSentence, type GgaSentence, type GllSentence, type GnsSentence, type GsaSentence, type GstSentence,
  type GsvSentence, type HdtSentence, type RmcSentence, type VtgSentence, type ZdaSentence,
} from './nmea-decode.js';
import { encodeGga, encodeRmc, formatAngle, nmeaChecksum } from './nmea-encode.js';

// Real receiver output, copied from gpsd's regression logs (test/daemon/*.log in the gpsd project,
// BSD-2-Clause): bu353s4.log (SiRF IV), ublox-zed-f9p-nmea.log, neo-m8n.log, beidou-gb.log.
const BU353_GGA = '$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D';
const BU353_RMC = '$GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A*7D';
const F9P_GGA = '$GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56';
const F9P_RMC = '$GNRMC,003956.00,A,4552.65403,S,17030.00668,E,0.025,,120419,,,A,V*07';
const M8N_GGA = '$GNGGA,171926.00,4404.14063,N,12118.85478,W,1,12,0.91,1147.2,M,-21.3,M,,*44';
const BEIDOU_NO_FIX = '$GPGGA,053229.438,,,,,0,00,,,M,0.0,M,,0000*56';
const BEIDOU_RMC_VOID = '$GNRMC,053229.438,V,,,,,,,020315,,,N*56';

function decoded<T>(line: string): T {
  const r = decodeNmeaSentence(line);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.sentence as T;
}

const meta = { sensorId: 'gnss', frameId: 'gnss', stamp: 5n, receivedAt: 7n, seq: 3 };

describe('decodeNmeaSentence on real receiver lines', () => {
  it('reads a SiRF GGA', () => {
    const s = decoded<GgaSentence>(BU353_GGA);
    expect(s).toMatchObject({ type: 'GGA', talker: 'GP', quality: 1, satellites: 8, hdop: 1.1, altitudeMsl: 59.9, geoidSeparation: 23.7 });
    expect(s.timeOfDay).toBeCloseTo(3 * 3600 + 7 * 60 + 19, 6);
    expect(s.latitude).toBeCloseTo(-(37 + 47.0873 / 60), 9);
    expect(s.longitude).toBeCloseTo(175 + 18.8938 / 60, 9);
  });

  it('reads RMC speed in knots as m/s, course and date', () => {
    const s = decoded<RmcSentence>(BU353_RMC);
    expect(s.valid).toBe(true);
    expect(s.speed).toBeCloseTo(0.69 * 0.514444, 5);
    expect(s.course).toBeCloseTo(181.39, 6);
    expect(s.date).toEqual({ year: 2014, month: 12, day: 31 });
    expect(s.mode).toBe('A');
  });

  it('reads any talker and five-decimal minutes (u-blox GN)', () => {
    const gga = decoded<GgaSentence>(F9P_GGA);
    expect(gga.talker).toBe('GN');
    expect(gga.latitude).toBeCloseTo(-(45 + 52.65403 / 60), 10);
    const rmc = decoded<RmcSentence>(F9P_RMC);
    expect(Number.isNaN(rmc.course)).toBe(true);
    const west = decoded<GgaSentence>(M8N_GGA);
    expect(west.longitude).toBeCloseTo(-(121 + 18.85478 / 60), 10);
    expect(west.geoidSeparation).toBe(-21.3);
  });

  it('reads a receiver without a fix as quality 0 and NaN position', () => {
    const gga = decoded<GgaSentence>(BEIDOU_NO_FIX);
    expect(gga.quality).toBe(0);
    expect(Number.isNaN(gga.latitude)).toBe(true);
    const rmc = decoded<RmcSentence>(BEIDOU_RMC_VOID);
    expect(rmc.valid).toBe(false);
    const r = assembleFix({ gga, rmc }, meta);
    expect(r.ok && r.fix.fixType).toBe('none');
  });
});

describe('decodeNmeaSentence on the other sentence types (real lines from gpsd logs)', () => {
  it('GSA: NMEA 4.10 with a system id, and the classic form', () => {
    const s = decoded<GsaSentence>('$GNGSA,A,3,13,16,21,15,10,29,27,20,,,,,1.05,0.64,0.83,1*03');
    expect(s).toMatchObject({ type: 'GSA', talker: 'GN', fixMode: 3, prns: [13, 16, 21, 15, 10, 29, 27, 20], pdop: 1.05, hdop: 0.64, vdop: 0.83, systemId: 1 });
    const old = decoded<GsaSentence>('$GPGSA,A,3,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5*33');
    expect(old).toMatchObject({ fixMode: 3, pdop: 1.8, hdop: 1.1, vdop: 1.5 });
    expect(old.prns).toHaveLength(8);
    expect(Number.isNaN(old.systemId)).toBe(true);
  });

  it('GSV with a signal id, GST, VTG, ZDA, GNS, HDT, GLL', () => {
    const gsv = decoded<GsvSentence>('$GPGSV,3,1,12,05,06,110,19,10,24,284,34,13,37,124,29,15,63,083,11,1*60');
    expect(gsv).toMatchObject({ messageCount: 3, messageNumber: 1, satellitesInView: 12 });
    expect(gsv.satellites[3]).toEqual({ prn: 15, elevation: 63, azimuth: 83, snr: 11 });
    const gst = decoded<GstSentence>('$GPGST,131519.00,11,,,,0.70,0.49,1.1*53');
    expect(gst).toMatchObject({ rms: 11, sigmaLatitude: 0.7, sigmaLongitude: 0.49, sigmaAltitude: 1.1 });
    const vtg = decoded<VtgSentence>('$GPVTG,339.1,T,333.5,M,0.1,N,0.1,K,A*2D');
    expect(vtg.course).toBe(339.1);
    expect(vtg.speed).toBeCloseTo(0.1 * 1852 / 3600, 12);
    const zda = decoded<ZdaSentence>('$GPZDA,202640.000,13,04,2015,,*54');
    expect(zda.date).toEqual({ year: 2015, month: 4, day: 13 });
    expect(zda.timeOfDay).toBe(20 * 3600 + 26 * 60 + 40);
    const gns = decoded<GnsSentence>('$GNGNS,053233.438,3114.8821,N,12135.2428,E,ANNA,07,1.2,167.2,8.3,,0000*52');
    expect(gns).toMatchObject({ modes: 'ANNA', satellites: 7, hdop: 1.2, altitudeMsl: 167.2, geoidSeparation: 8.3 });
    expect(decoded<HdtSentence>('$GPHDT,274.07,T*03').heading).toBe(274.07);
    const gll = decoded<GllSentence>('$GPGLL,4023.8600,N,00339.1630,W,214350,V,S*57');
    expect(gll).toMatchObject({ valid: false, mode: 'S', timeOfDay: 21 * 3600 + 43 * 60 + 50 });
  });

  it('keeps an RMC whose date is garbled (week-rollover firmware) and flags the date', () => {
    const s = decoded<RmcSentence>('$GPRMC,000231.099,A,4829.0005,N,00022.0015,E,0.15,212.28,2208-1,,,A*73');
    expect(s.date).toBeUndefined();
    expect(s.badDate).toBe(true);
    expect(s.latitude).toBeCloseTo(48.483341667, 8);
  });
});

describe('decodeNmeaSentence on bad lines', () => {
  const cases: [string, string][] = [
    [BU353_GGA.replace('*7D', '*7E'), 'bad-checksum'],
    [BU353_GGA.replace('3747.0873', '3747.0874'), 'bad-checksum'],
    [BU353_GGA.slice(0, -3), 'no-checksum'],
    [BU353_GGA.slice(1), 'no-start'],
    ['$' + 'A'.repeat(300), 'too-long'],
    ['$PGRMZ,2282,f,3*21', 'unsupported'],
    ['$GPBOD,,T,,M,,*47', 'unsupported'],
  ];
  it.each(cases)('%s → %s', (line, code) => {
    const r = decodeNmeaSentence(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('reports malformed fields with a valid checksum', () => {
    for (const body of ['GPGGA,030719.000,3767.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000', 'GPRMC,030719.000,X,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A', 'GPGGA,0307', 'GPGGA,251000.00,,,,,0,00,,,M,,M,,']) {
      const r = decodeNmeaSentence(`$${body}*${nmeaChecksum(body)}`);
      expect(r.ok ? 'ok' : r.error.code).toBe('malformed');
    }
  });

  it('accepts a trailing CR LF', () => {
    expect(decodeNmeaSentence(`${BU353_GGA}\r\n`).ok).toBe(true);
  });
});

describe('assembleFix', () => {
  it('takes position from GGA and speed and track from RMC', () => {
    const r = assembleFix({ gga: decoded(BU353_GGA), rmc: decoded(BU353_RMC) }, meta);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.fix).toMatchObject({ modality: 'gnss', sensorId: 'gnss', stamp: 5n, receivedAt: 7n, seq: 3, fixType: '3d', satellites: 8, hdop: 1.1, altitudeMsl: 59.9 });
    expect(r.fix.track).toBeCloseTo(181.39, 6);
    expect(Number.isNaN(r.fix.heading)).toBe(true);
  });

  it('refuses sentences of different epochs, and an empty epoch', () => {
    const next = '$GPRMC,030720.000,A,3747.0875,S,17518.8938,E,1.15,181.39,311214,,,A*7B';
    const r = assembleFix({ gga: decoded(BU353_GGA), rmc: decoded(next) }, meta);
    expect(!r.ok && r.error.code).toBe('epoch-mismatch');
    const e = assembleFix({}, meta);
    expect(!e.ok && e.error.code).toBe('empty-epoch');
  });
});

describe('encode → decode', () => {
  it('reproduces the real lines it encodes', () => {
    const gga = decoded<GgaSentence>(BU353_GGA);
    const again = encodeGga({
      talker: 'GP', utcMillis: Date.UTC(2014, 11, 31, 3, 7, 19), latitude: gga.latitude, longitude: gga.longitude,
      quality: 1, satellites: 8, hdop: 1.1, altitudeMsl: 59.9, geoidSeparation: 23.7,
    });
    expect(decodeNmeaSentence(again).ok).toBe(true);
    expect(again.split(',').slice(2, 6)).toEqual(BU353_GGA.split(',').slice(2, 6));
  });

  it('round-trips within NMEA precision, both hemispheres', () => {
    const points = [
      { latitude: 42.336123456, longitude: -71.057654321 },
      { latitude: -33.999999999, longitude: 151.2093 },
      { latitude: 0.00001, longitude: 179.99999 },
    ];
    for (const p of points) {
      const utcMillis = Date.UTC(2018, 7, 1, 23, 59, 59, 996);
      const ggaLine = encodeGga({ talker: 'GN', utcMillis, ...p, quality: 2, satellites: 14, hdop: 0.8, altitudeMsl: 5.93, geoidSeparation: -28.7 });
      const rmcLine = encodeRmc({ talker: 'GN', utcMillis, ...p, speed: 9.1, course: 359.999 });
      const gga = decoded<GgaSentence>(ggaLine);
      const rmc = decoded<RmcSentence>(rmcLine);
      // 4 decimals of a minute: half a unit is 1/1.2e6 degree (~9 cm of latitude).
      expect(Math.abs(gga.latitude - p.latitude)).toBeLessThanOrEqual(0.5 / 60 / 1e4 + 1e-12);
      expect(Math.abs(gga.longitude - p.longitude)).toBeLessThanOrEqual(0.5 / 60 / 1e4 + 1e-12);
      expect(gga.altitudeMsl).toBeCloseTo(5.9, 6);
      expect(rmc.speed).toBeCloseTo(9.1, 3);
      expect(rmc.course).toBe(0);
      // 23:59:59.996 rounds to the next day's midnight, date and all.
      expect(gga.timeOfDay).toBe(0);
      expect(rmc.date).toEqual({ year: 2018, month: 8, day: 2 });
    }
  });

  it('never writes 60 minutes when rounding carries', () => {
    expect(formatAngle(42.99999999, 'lat')).toEqual(['4300.0000', 'N']);
    expect(formatAngle(-71.5, 'lon', 2)).toEqual(['07130.00', 'W']);
  });
});
