import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { createWavDecoder } from '../adapters/audio/wav-decode.js';
import type { CameraFrame } from '../engine/core/frames.js';
import { packageRoot } from '../engine/core/package-root.js';
import { preprocessImages } from '../engine/encode/preprocess-image.js';
import { SileroVad, VAD_CONTEXT } from '../engine/encode/vad.js';
import { backendInfo } from '../native/index.js';
import { preprocessImagesSync, type TensorSpec } from '../native/preprocess.js';
import { median, timeRuns, type Benchmark, type Figure } from './benchmark.js';

const CAMERAS = ['CAM_FRONT__1532402927612460', 'CAM_FRONT_RIGHT__1532402927620339', 'CAM_BACK_RIGHT__1532402927627893', 'CAM_BACK__1532402927637525', 'CAM_BACK_LEFT__1532402927647423', 'CAM_FRONT_LEFT__1532402927604844'];
const YOLO_640: TensorSpec = { width: 640, height: 640, layout: 'nchw', channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], letterbox: true, padValue: 114, dtype: 'float32' };

/**
 * The encoders' own costs on real data: decoding the six nuScenes camera JPEGs (sharp), turning
 * the six decoded 1600×900 frames into one [6, 3, 640, 640] float32 tensor (native kernel and TS
 * reference side by side), and Silero VAD over 20 s of real speech (CPU).
 */
export const encodeBench: Benchmark = {
  name: 'Encoders: image pre-processing (six nuScenes cameras), JPEG decode, Silero VAD',
  async run() {
    const root = packageRoot();
    const figures: Figure[] = [];
    const jpegs = CAMERAS.map((n) => readFileSync(join(root, 'test/fixtures/nuscenes', `n015-2018-07-24-11-22-45+0800__${n}.jpg`)));
    const decodeAll = () => Promise.all(jpegs.map((j) => sharp(j).raw().toBuffer({ resolveWithObject: true })));
    await decodeAll();
    const decodeMs = median(await timeRuns(7, decodeAll));
    figures.push({ key: 'encode.decode.sixJpegsMs', value: decodeMs, note: 'ms, six 1600×900 JPEGs decoded in parallel by sharp, median of 7' });

    const decoded = await decodeAll();
    const frames: CameraFrame[] = decoded.map(({ data, info }, i) => ({
      modality: 'camera', sensorId: `cam${i}`, frameId: `cam${i}`, stamp: 0n, receivedAt: 0n, seq: 0,
      encoding: 'rgb8', width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    }));
    const out = new Float32Array(6 * 3 * 640 * 640);
    await preprocessImages(frames, YOLO_640, { out });
    const nativeMs = median(await timeRuns(15, () => preprocessImages(frames, YOLO_640, { out })));
    figures.push({ key: 'encode.preprocess.sixCamerasMs', value: nativeMs, note: `ms, six decoded 1600×900 RGB → [6,3,640,640] float32 letterbox, native (${backendInfo().cpuThreads} threads, worker), median of 15` });
    const images = frames.map((f) => ({ data: f.data, width: f.width, height: f.height }));
    preprocessImagesSync(images, YOLO_640, { backend: 'ts', out });
    const tsMs = median(await timeRuns(3, () => preprocessImagesSync(images, YOLO_640, { backend: 'ts', out })));
    figures.push({ key: 'encode.preprocess.sixCamerasTsMs', value: tsMs, note: 'ms, the same in the TypeScript reference, median of 3' });
    figures.push({ key: 'encode.preprocess.speedupOverTs', value: tsMs / nativeMs, note: '× (TypeScript reference ÷ native)' });

    const wav = readFileSync(join(root, 'test/fixtures/audio/speech-20s.wav'));
    const chunks = createWavDecoder({ sensorId: 'mic', chunkMs: 32, start: 0n }).push(wav, 0n);
    const audioSeconds = chunks.reduce((n, c) => n + c.samples.length, 0) / 16_000;
    const vad = await SileroVad.create({ log: () => undefined });
    try {
      const runAll = async () => {
        for (const c of chunks) await vad.push(c);
        await vad.flush();
      };
      await runAll();
      const vadMs = median(await timeRuns(3, runAll));
      figures.push({ key: 'encode.vad.msPerAudioSecond', value: vadMs / audioSeconds, note: `ms of CPU time per second of audio (Silero v5, ${audioSeconds} s of real speech in 32 ms chunks), median of 3` });
      const feeds = {
        input: new ort.Tensor('float32', new Float32Array(512 + VAD_CONTEXT), [1, 512 + VAD_CONTEXT]),
        state: new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]),
        sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
      };
      await timeRuns(5, () => vad.session.run(feeds));
      const warm = median(await timeRuns(50, () => vad.session.run(feeds)));
      figures.push({ key: 'encode.vad.warmLatencyMs', value: warm, note: 'ms, one 512-sample window on a warm session (CPU), median of 50' });
    } finally {
      await vad.close();
    }
    return figures;
  },
};
