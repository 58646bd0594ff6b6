import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWavDecoder } from '../adapters/audio/wav-decode.js';
import { createPcmDecoder } from '../adapters/audio/pcm-decode.js';
import { createJpegDecoder } from '../adapters/camera/compressed-image-decode.js';
import { createMjpegStreamDecoder } from '../adapters/camera/mjpeg-stream-decode.js';
import { MultipartSplitter } from '../adapters/transports/multipart-splitter.js';
import { packageRoot } from '../engine/core/package-root.js';
import { median, timeRuns as timeColdRuns, type Benchmark } from './benchmark.js';

/** Two untimed runs first, so that the figures are of JIT-compiled code. */
async function timeRuns(times: number, fn: () => unknown): Promise<number[]> {
  await timeColdRuns(2, fn);
  return timeColdRuns(times, fn);
}

const SLICE = 64 * 1024;

function sliced(bytes: Uint8Array, each: (slice: Uint8Array) => void): void {
  for (let o = 0; o < bytes.byteLength; o += SLICE) each(bytes.subarray(o, o + SLICE));
}

/** Camera and audio decoders on real bytes: nuScenes JPEGs (test fixtures) and the bundled speech WAV. */
export const cameraAudioBench: Benchmark = {
  name: 'Camera and audio decoders (MJPEG stream, HTTP multipart, JPEG header, WAV, PCM)',
  async run() {
    const root = packageRoot();
    const names = ['CAM_FRONT__1532402927612460', 'CAM_BACK__1532402927637525', 'CAM_FRONT_LEFT__1532402927604844', 'CAM_FRONT_RIGHT__1532402927620339'];
    const jpegs = names.map((n) => new Uint8Array(readFileSync(join(root, 'test/fixtures/nuscenes', `n015-2018-07-24-11-22-45+0800__${n}.jpg`))));
    const repeat = 50;
    const images = Array.from({ length: repeat }, () => jpegs).flat();
    const stream = Buffer.concat(images);
    const multipart = Buffer.concat(images.map((j) => Buffer.concat([Buffer.from(`--b\r\nContent-Type: image/jpeg\r\n\r\n`), j, Buffer.from('\r\n')])));
    const mb = stream.byteLength / 1e6;

    const mjpeg = await timeRuns(5, () => {
      const d = createMjpegStreamDecoder({ sensorId: 'cam' });
      let n = 0;
      sliced(stream, (s) => (n += d.push(s, 0n).length));
      if (n !== images.length) throw new Error(`mjpeg: ${n} frames`);
    });
    const parts = await timeRuns(5, () => {
      const s = new MultipartSplitter('b', { maxPartBytes: 1 << 24, maxHeaderBytes: 8192 });
      let n = 0;
      sliced(multipart, (x) => (n += s.push(x).length));
      if (n !== images.length - 1) throw new Error(`multipart: ${n} parts`);
    });
    const header = await timeRuns(5, () => {
      const d = createJpegDecoder({ sensorId: 'cam' });
      for (const j of images) d.push(j, 0n);
    });

    const wav = new Uint8Array(readFileSync(join(root, 'scenarios/assets/speech.wav')));
    const audioSeconds = (wav.byteLength - 44) / 2 / 16000;
    const wavRuns = await timeRuns(5, () => createWavDecoder({ sensorId: 'mic', start: 0n }).push(wav, 0n));
    const pcm = wav.subarray(44);
    const pcmRuns = await timeRuns(5, () => {
      const d = createPcmDecoder({ sensorId: 'mic', sampleRate: 16000 });
      for (let o = 0; o < pcm.byteLength; o += 1000) d.push(pcm.subarray(o, o + 1000), 0n);
    });

    return [
      { key: 'camera.mjpegStream.mbPerSec', value: mb / (median(mjpeg) / 1000), note: `MB/s, median of 5 (${images.length} nuScenes JPEGs, ${mb.toFixed(1)} MB, 64 KiB pushes)` },
      { key: 'camera.mjpegStream.framesPerSec', value: images.length / (median(mjpeg) / 1000), note: 'frames/s of 1600×900 JPEGs split from a byte stream' },
      { key: 'transport.multipart.mbPerSec', value: mb / (median(parts) / 1000), note: 'MB/s, HTTP multipart without Content-Length (boundary scan)' },
      { key: 'camera.jpegHeader.usPerFrame', value: (median(header) * 1000) / images.length, note: 'µs per JPEG (header read + copy), median of 5' },
      { key: 'audio.wav.xRealtime', value: audioSeconds / (median(wavRuns) / 1000), note: `× real time, ${audioSeconds} s of 16 kHz speech into 32 ms chunks` },
      { key: 'audio.pcmStream.xRealtime', value: audioSeconds / (median(pcmRuns) / 1000), note: '× real time, s16le stream in 1000-byte pushes' },
    ];
  },
};
