import type { Rig } from '../config/rig-schema.js';
import type { AudioChunk } from '../core/frames.js';
import type { AudioEvent } from '../events/perception-event.js';
import { createCameraDetector } from './camera-detector.js';
import type { Encoder } from './encode-stage.js';
import { encoderSensors, resolveModelPath, type EncoderConfig } from './encoder-config.js';
import { SileroVad } from './vad.js';

export interface CreateEncodersOptions {
  /** The rig file's folder, for relative model paths. */
  baseDir?: string;
  log?: (line: string) => void;
}

/** The Silero VAD as an encoder: each audio chunk of its sensors once, speech segments as audio events. */
async function createVadEncoder(config: EncoderConfig, rig: Rig, options: CreateEncodersOptions): Promise<Encoder> {
  const vad = await SileroVad.create({
    model: resolveModelPath(config.model, options.baseDir),
    providers: config.providers,
    threads: config.threads,
    log: options.log,
  });
  const sensors = new Set(encoderSensors(config, rig.sensors));
  // A chunk can serve two sets (the nearest policy reuses frames); the VAD must hear it once.
  const lastSeq = new Map<string, number>();
  return {
    name: config.name,
    modality: 'audio',
    async encode(set) {
      const audio: AudioEvent[] = [];
      for (const frame of set.frames.values()) {
        if (frame.modality !== 'audio' || !sensors.has(frame.sensorId)) continue;
        if ((lastSeq.get(frame.sensorId) ?? -1) >= frame.seq) continue;
        lastSeq.set(frame.sensorId, frame.seq);
        audio.push(...(await vad.push(frame as AudioChunk)));
      }
      return { audio };
    },
    close: async () => {
      await vad.session.close();
    },
  };
}

/** The rig's encoders, each with its session created and warmed up; a failure names the encoder. */
export async function createEncoders(rig: Rig, given: CreateEncodersOptions = {}): Promise<Encoder[]> {
  // A library prints nothing unless asked: the sessions' provider line goes where the caller says.
  const options = { ...given, log: given.log ?? ((): void => undefined) };
  const encoders: Encoder[] = [];
  try {
    for (const config of rig.encoders) {
      try {
        encoders.push(config.type === 'vad'
          ? await createVadEncoder(config, rig, options)
          : await createCameraDetector(config, { sensors: rig.sensors, baseDir: options.baseDir, log: options.log }));
      } catch (err) {
        throw new Error(`encoder ${config.name}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    await Promise.allSettled(encoders.map((e) => e.close()));
    throw err;
  }
  return encoders;
}
