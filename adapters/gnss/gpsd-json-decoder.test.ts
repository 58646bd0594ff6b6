import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GnssFix } from '../../engine/core/frames.js';
import { createClock } from '../../engine/core/time.js';
import { createGpsdJsonDecoder, gpsdTimeToNanos, gpsdWatchCommand } from './gpsd-json-decoder.js';

// What gpsd 3.20 sends a client, written by hand: VERSION on connect; after ?WATCH, DEVICES and
// WATCH; then reports. The SKY and TPV reports are gpsd's own, from test/fixtures/gps_nmea/
// bu353s4.log.chk (gpsd regression output, BSD-2-Clause), with a device field added as a live
// gpsd writes it (its dates are gpsd's rollover-shifted ones).
const VERSION = '{"class":"VERSION","release":"3.20","rev":"3.20","proto_major":3,"proto_minor":14}';
const SESSION = [
  '{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyUSB0","driver":"NMEA0183","activated":"2034-08-16T03:07:19.010Z","flags":1,"native":0,"bps":4800,"parity":"N","stopbits":1,"cycle":1.00}]}',
  '{"class":"WATCH","enable":true,"json":true,"nmea":false,"raw":0,"scaled":false,"timing":false,"split24":false,"pps":false}',
  '{"class":"SKY","device":"/dev/ttyUSB0","xdop":0.63,"ydop":0.85,"vdop":1.50,"tdop":0.89,"hdop":1.10,"gdop":2.01,"pdop":1.80,"satellites":[{"PRN":17,"el":72.0,"az":207.0,"ss":32.0,"used":true,"gnssid":0,"svid":17},{"PRN":28,"el":59.0,"az":95.0,"ss":31.0,"used":true,"gnssid":0,"svid":28},{"PRN":11,"el":12.0,"az":132.0,"ss":4.0,"used":false,"gnssid":0,"svid":11}]}',
  '{"class":"TPV","device":"/dev/ttyUSB0","mode":3,"time":"2034-08-16T03:07:21.000Z","ept":0.005,"lat":-37.784793333,"lon":175.314890000,"altHAE":83.800,"altMSL":60.100,"alt":60.100,"epx":9.484,"epy":12.791,"epv":34.500,"track":181.3900,"magtrack":201.9320,"magvar":20.5,"speed":0.458,"climb":0.300,"epc":69.00,"geoidSep":23.700,"eph":20.900,"sep":34.200}',
  '{"class":"TPV","device":"/dev/ttyUSB0","mode":3,"time":"2034-08-16T03:07:22.000Z","ept":0.005,"lat":-37.784795000,"lon":175.314888333,"altHAE":83.800,"altMSL":60.100,"alt":60.100,"epx":9.484,"epy":12.791,"epv":34.500,"track":181.3900,"magtrack":201.9320,"magvar":20.5,"speed":0.062,"climb":0.000,"eps":25.58,"epc":69.00,"geoidSep":23.700,"eph":20.900,"sep":34.200}',
  '{"class":"TPV","device":"/dev/ttyUSB0","status":2,"mode":3,"time":"2035-09-19T13:15:19.000Z","ept":0.005,"lat":41.897665000,"lon":-87.643939667,"altHAE":184.300,"altMSL":218.100,"alt":218.100,"magvar":-4.1,"speed":0.025,"geoidSep":-33.800}',
  '{"class":"TPV","device":"/dev/ttyUSB0","mode":1}',
];

function decodeText(text: string): { fixes: GnssFix[]; errors: Record<string, number> } {
  const d = createGpsdJsonDecoder({ sensorId: 'gpsd' });
  const fixes = [...d.push(Buffer.from(text), 1n), ...d.flush()];
  return { fixes, errors: { ...d.stats.errors } };
}

describe('gpsdWatchCommand', () => {
  it('writes the WATCH command gpsd expects', () => {
    expect(gpsdWatchCommand()).toBe('?WATCH={"enable":true,"json":true};\n');
    expect(gpsdWatchCommand({ device: '/dev/ttyACM0' })).toBe('?WATCH={"enable":true,"json":true,"device":"/dev/ttyACM0"};\n');
  });
});

describe('createGpsdJsonDecoder', () => {
  it('turns TPV reports into fixes, with satellites and DOPs from the last SKY', () => {
    const { fixes, errors } = decodeText([VERSION, ...SESSION].join('\n') + '\n');
    expect(errors).toEqual({ 'no-time': 1 });
    expect(fixes).toHaveLength(3);
    const [a, b, c] = fixes;
    expect(a).toMatchObject({
      modality: 'gnss', sensorId: 'gpsd', frameId: 'gpsd', seq: 0, receivedAt: 1n, fixType: '3d',
      latitude: -37.784793333, longitude: 175.31489, altitudeMsl: 60.1, geoidSeparation: 23.7,
      satellites: 2, hdop: 1.1, pdop: 1.8, vdop: 1.5, speed: 0.458, track: 181.39,
    });
    expect(a.stamp).toBe(gpsdTimeToNanos('2034-08-16T03:07:21.000Z'));
    expect(a.covariance[0]).toBeCloseTo((9.484 / 1.96) ** 2, 9);
    expect(a.covariance[4]).toBeCloseTo((12.791 / 1.96) ** 2, 9);
    expect(b.stamp - a.stamp).toBe(1_000_000_000n);
    expect(c.fixType).toBe('dgps');
    expect(c.covariance.every(Number.isNaN)).toBe(true);
  });

  it('counts bad JSON, non-reports and overlong lines, and goes on', () => {
    const d = createGpsdJsonDecoder({ sensorId: 'gpsd', maxLineLength: 1024 });
    d.push(Buffer.from(`{"class":"TPV",\n[1,2]\n"text"\n{"no":"class"}\n${'x'.repeat(5000)}`), 0n);
    expect(d.bufferedBytes).toBeLessThanOrEqual(1025);
    const fixes = [...d.push(Buffer.from(`\n${SESSION[3]}\n`), 2n), ...d.flush()];
    expect(fixes).toHaveLength(1);
    expect(d.stats.errors).toEqual({ 'bad-json': 1, 'bad-report': 3, 'too-long': 1 });
  });

  it('reads gpsd times to the nanosecond, and refuses others', () => {
    expect(gpsdTimeToNanos('1970-01-01T00:00:01.123456789Z')).toBe(1_123_456_789n);
    expect(gpsdTimeToNanos('2019-04-07T00:02:31Z')).toBe(BigInt(Date.parse('2019-04-07T00:02:31Z')) * 1_000_000n);
    expect(gpsdTimeToNanos('2019-13-07T00:02:31Z')).toBeUndefined();
    expect(gpsdTimeToNanos('yesterday')).toBeUndefined();
  });

  it('throws on bad options, naming them', () => {
    expect(() => createGpsdJsonDecoder({ sensorId: '' })).toThrow(/sensorId/);
    expect(() => createGpsdJsonDecoder({ sensorId: 'g', maxLineLength: 10 })).toThrow(/maxLineLength/);
  });

  it('never throws on random or mutated input, and keeps its buffer bounded', () => {
    const lines = [VERSION, ...SESSION];
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.record({ i: fc.nat(lines.length - 1), cut: fc.nat(), flip: fc.nat() }).map(({ i, cut, flip }) => {
          const b = Buffer.from(`${lines[i]}\n`);
          b[flip % b.length] ^= 1 << (flip % 8);
          return b.subarray(0, 1 + (cut % b.length));
        }),
      ), { maxLength: 30 }),
      (chunks) => {
        const d = createGpsdJsonDecoder({ sensorId: 'g', maxLineLength: 2048 });
        for (const c of chunks) {
          for (const f of d.push(c, 0n)) {
            expect(typeof f.stamp).toBe('bigint');
            if (f.fixType !== 'none') expect(Math.abs(f.latitude)).toBeLessThanOrEqual(90);
          }
          expect(d.bufferedBytes).toBeLessThanOrEqual(2049);
        }
        d.flush();
      },
    ), { numRuns: 300 });
  });
});

/** A stand-in gpsd on 127.0.0.1: VERSION on connect, the session after a WATCH command, then it hangs up. */
function startFakeGpsd(): Promise<{ server: Server; port: number; commands: string[] }> {
  const commands: string[] = [];
  const server = createServer((socket) => {
    socket.write(`${VERSION}\r\n`);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (!received.includes(';\n')) return;
      commands.push(received);
      // Odd-sized writes, so reports straddle TCP segments as they may on the wire.
      const body = Buffer.from(SESSION.join('\r\n') + '\r\n');
      for (let i = 0; i < body.length; i += 173) socket.write(body.subarray(i, i + 173));
      socket.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, commands }));
  });
}

describe('gpsd JSON over TCP (a real socket on 127.0.0.1)', () => {
  it('connects, sends WATCH, and decodes the fixes gpsd streams', async () => {
    const { server, port, commands } = await startFakeGpsd();
    try {
      const clock = createClock();
      const decoder = createGpsdJsonDecoder({ sensorId: 'gpsd' });
      const fixes = await new Promise<GnssFix[]>((resolve, reject) => {
        const got: GnssFix[] = [];
        const socket = connect({ host: '127.0.0.1', port }, () => socket.write(gpsdWatchCommand()));
        socket.on('data', (chunk: Buffer) => got.push(...decoder.push(chunk, clock())));
        socket.on('end', () => resolve([...got, ...decoder.flush()]));
        socket.on('error', reject);
      });
      expect(commands).toEqual(['?WATCH={"enable":true,"json":true};\n']);
      expect(fixes.map((f) => f.fixType)).toEqual(['3d', '3d', 'dgps']);
      expect(fixes.map((f) => f.seq)).toEqual([0, 1, 2]);
      expect(fixes[0].receivedAt).toBeGreaterThan(0n);
      expect(decoder.stats.accepted).toBe(SESSION.length + 1);
      expect(decoder.stats.errors).toEqual({ 'no-time': 1 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
