import { join } from 'node:path';
import type { CameraFrame, PointCloud, RadarScan, SensorFrame, AudioChunk, GnssFix } from '../../engine/core/frames.js';
import type { Rig } from '../../engine/config/rig-schema.js';
import { sensorCameraModel, sensorFrameId } from '../../engine/config/load-rig.js';
import { packageRoot } from '../../engine/core/package-root.js';
import { NS_PER_MS, type Nanos } from '../../engine/core/time.js';
import type { EgoPose, GroundTruthObject } from '../scenario-writer.js';
import { MicrophoneSynth, planSpeech } from './audio.js';
import { CameraRenderer } from './camera-scene.js';
import { gnssEpoch } from './gnss.js';
import { groundTruthAt } from './ground-truth.js';
import { encodeJpeg } from './jpeg.js';
import { HDL32_LIKE, LIDAR_FIELDS, LIDAR_STRIDE, castLidarSweep } from './lidar.js';
import { createRng, deriveSeed, stringSeed } from '../../engine/core/prng.js';
import { scanRadar } from './radar.js';
import { scenarioSeconds, type ScheduledFrame } from './schedule.js';
import { mountOf, type Mount } from './sensor-pose.js';
import { readMonoWav } from './wav.js';
import type { World } from './world.js';

/** The cabin microphone: 16 kHz mono, like the speech asset. */
export const MIC_SAMPLE_RATE = 16000;

export interface ProducedFrame {
  readonly frame: SensorFrame;
  /** Present with every LiDAR sweep: the truth at its stamp. */
  readonly groundTruth?: { stamp: Nanos; ego: EgoPose; objects: GroundTruthObject[] };
}

export function speechAssetPath(): string {
  return join(packageRoot(), 'scenarios', 'assets', 'speech.wav');
}

/**
 * Makes each scheduled frame from the world. Synchronous work (ray casting, rasterizing) happens in
 * the call; JPEG encoding runs on libuv's pool, so the caller keeps several frames in flight.
 */
export class FrameProducer {
  readonly #world: World;
  readonly #seed: number;
  readonly #start: Nanos;
  readonly #mounts = new Map<string, Mount>();
  readonly #renderers = new Map<string, CameraRenderer>();
  readonly #microphones = new Map<string, MicrophoneSynth>();
  /** Image buffers whose JPEG is done, ready to paint the next frame into (GC churn otherwise dominates). */
  readonly #freeImages: Uint8Array[] = [];
  readonly #lidarScratch = new Float32Array(HDL32_LIKE.beams * HDL32_LIKE.azimuthSteps * (LIDAR_STRIDE / 4));

  constructor(world: World, rig: Rig, start: Nanos, durationS: number) {
    this.#world = world;
    this.#seed = world.seed;
    this.#start = start;
    let speech: Float32Array | undefined;
    for (const sensor of rig.sensors) {
      const mount = mountOf(sensor);
      this.#mounts.set(sensor.id, mount);
      if (sensor.modality === 'camera') this.#renderers.set(sensor.id, new CameraRenderer(sensorCameraModel(sensor)!, mount));
      if (sensor.modality === 'audio') {
        if (!speech) {
          const wav = readMonoWav(speechAssetPath());
          if (wav.sampleRate !== MIC_SAMPLE_RATE) throw new Error(`speech asset is ${wav.sampleRate} Hz; the microphone runs at ${MIC_SAMPLE_RATE}`);
          speech = wav.samples;
        }
        const events = planSpeech(this.#seed, durationS, speech.length / MIC_SAMPLE_RATE);
        this.#microphones.set(sensor.id, new MicrophoneSynth(world, MIC_SAMPLE_RATE, speech, events));
      }
    }
  }

  #takeImage(bytes: number): Uint8Array {
    const i = this.#freeImages.findIndex((b) => b.length === bytes);
    return i >= 0 ? this.#freeImages.splice(i, 1)[0] : new Uint8Array(bytes);
  }

  produce(item: ScheduledFrame): Promise<ProducedFrame> | ProducedFrame {
    const { sensor, delayNs, phaseNs } = item.timing;
    const base = {
      sensorId: sensor.id, frameId: sensorFrameId(sensor), stamp: item.stamp, receivedAt: item.stamp + delayNs, seq: item.seq,
    };
    const t = scenarioSeconds(item.stamp, this.#start);
    const rng = createRng(deriveSeed(this.#seed, 100, stringSeed(sensor.id), item.seq));
    const mount = this.#mounts.get(sensor.id)!;
    switch (sensor.modality) {
      case 'camera': {
        const renderer = this.#renderers.get(sensor.id)!;
        const img = renderer.render(this.#world, t, this.#takeImage(renderer.bytes));
        return encodeJpeg(img).then((data) => {
          this.#freeImages.push(img.data);
          const frame: CameraFrame = { ...base, modality: 'camera', encoding: 'jpeg', width: 0, height: 0, data };
          return { frame };
        });
      }
      case 'lidar': {
        const sweep = castLidarSweep(this.#world, mount, t, 1 / sensor.rateHz, rng, HDL32_LIKE, this.#lidarScratch);
        const frame: PointCloud = { ...base, modality: 'lidar', fields: LIDAR_FIELDS, stride: LIDAR_STRIDE, count: sweep.count, data: sweep.data };
        return { frame, groundTruth: { stamp: item.stamp, ...groundTruthAt(this.#world, t, sweep.hitsPerActor) } };
      }
      case 'radar': {
        const frame: RadarScan = { ...base, modality: 'radar', targets: scanRadar(this.#world, mount, t, rng) };
        return { frame };
      }
      case 'gnss': {
        const frame: GnssFix = gnssEpoch(this.#world, mount, t, Number(item.stamp / NS_PER_MS), rng, base).fix;
        return { frame };
      }
      case 'audio': {
        const chunk = Math.round(MIC_SAMPLE_RATE / sensor.rateHz);
        const samples = this.#microphones.get(sensor.id)!.next(chunk, scenarioSeconds(this.#start + phaseNs, this.#start));
        const frame: AudioChunk = { ...base, modality: 'audio', sampleRate: MIC_SAMPLE_RATE, channels: 1, samples };
        return { frame };
      }
      default:
        throw new Error(`sensor ${sensor.id}: the generator cannot simulate modality ${sensor.modality}`);
    }
  }
}

