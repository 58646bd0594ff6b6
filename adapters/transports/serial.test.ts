import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openSerial } from './serial.js';
import type { TransportStatus } from './transport.js';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

describe('serial transport', () => {
  it('validates the line settings, naming the field', () => {
    expect(() => openSerial({ type: 'serial', path: '/dev/ttyUSB0', baudRate: 9600, dataBits: 9 as 8 })).toThrow(/dataBits/);
    expect(() => openSerial({ type: 'serial', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'bogus' as 'none' })).toThrow(/parity/);
    expect(() => openSerial({ type: 'serial', path: '/dev/ttyUSB0', baudRate: -1 })).toThrow(/baudRate/);
    expect(() => openSerial({ type: 'serial', path: '/dev/ttyUSB0', baudRate: 115200, stopBits: 1.5, dataBits: 7, parity: 'even' })).not.toThrow();
  });

  it('says clearly that a port path does not exist, as an error status and a TransportError', async () => {
    const transport = openSerial({ type: 'serial', path: '/dev/ttyPERCEPT-NOPE', baudRate: 9600 });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    await expect(firstValueFrom(transport.data$)).rejects.toThrow('serial port /dev/ttyPERCEPT-NOPE does not exist (is the device plugged in and the path right?)');
    expect(status.map((s) => s.type)).toEqual(['error']);
  });

  // Optional: needs socat to make a pseudo-terminal pair (apt-get install socat); CI may not have it.
  it.skipIf(!hasSocat)('reads bytes written to the other end of a pty pair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percept-serial-'));
    let socat: ChildProcess | undefined;
    try {
      const [a, b] = [join(dir, 'a'), join(dir, 'b')];
      socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
      for (let i = 0; i < 200 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 10));
      const transport = openSerial({ type: 'serial', path: a, baudRate: 115200 });
      const status: TransportStatus[] = [];
      transport.status$.subscribe((s) => status.push(s));
      const got = firstValueFrom(transport.data$.pipe(take(1), toArray()));
      for (let i = 0; i < 200 && !status.some((s) => s.type === 'connected'); i++) await new Promise((r) => setTimeout(r, 10));
      const { SerialPort } = await import('serialport');
      const writer = new SerialPort({ path: b, baudRate: 115200 });
      await new Promise((r) => writer.once('open', r));
      writer.write('$GPGGA\r\n');
      const chunks = await got;
      expect(Buffer.from(chunks[0].bytes).toString()).toContain('$GP');
      await new Promise((r) => writer.close(r));
    } finally {
      socat?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
