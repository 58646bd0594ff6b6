import { z } from 'zod';
import { MODALITIES } from '../core/frames.js';
import { DECODER_FORMATS } from '../../adapters/formats.js';
import { transportSchema } from '../../adapters/transports/open-transport.js';
import { websocketOutputSchema } from '../publish/websocket/options.js';
import { mqttOutputSchema } from '../publish/mqtt/mqtt-options.js';
import { encoderConfigSchema, encoderRigIssues } from '../encode/encoder-config.js';
import { DEFAULT_LIFECYCLE } from '../fuse/tracker/track.js';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const vec3 = z.tuple([finite, finite, finite]);

/** Sensor → base_link. Rotation as a unit quaternion [x, y, z, w] or roll/pitch/yaw in radians. */
const extrinsicSchema = z
  .object({
    translation: vec3,
    rotation: z.union(
      [
        z
          .object({
            // A zero quaternion is no rotation at all; any other norm is normalized on use.
            quaternion: z.tuple([finite, finite, finite, finite]).refine((q) => Math.hypot(...q) > 1e-9, 'a quaternion [x, y, z, w] must not be all zeros'),
          })
          .strict(),
        z.object({ rpy: vec3 }).strict(),
      ],
      { error: 'expected { quaternion: [x, y, z, w] } or { rpy: [roll, pitch, yaw] } in radians' },
    ),
  })
  .strict();

const cameraSchema = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fx: z.number().positive(),
    fy: z.number().positive(),
    cx: finite,
    cy: finite,
    distortion: z
      .object({
        model: z.enum(['none', 'plumb_bob']),
        coefficients: z.array(finite).max(5).default([]),
      })
      .strict()
      .default({ model: 'none', coefficients: [] }),
  })
  .strict();

/**
 * Where a sensor's frames come from. `scenario`: replay binds the sensor to an MCAP topic. `live`: a
 * transport (UDP, TCP, serial, file, pcap, HTTP MJPEG, a child process) feeding a decoder of the
 * named wire format; `options` are that decoder's, checked against it when the rig is validated.
 */
const sourceSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('scenario'),
      /** MCAP topic; defaults to the standard topic of the sensor's modality and id. */
      topic: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('live'),
      format: z.string().refine((name) => DECODER_FORMATS.has(name), { message: `expected one of: ${[...DECODER_FORMATS.keys()].join(', ')}` }),
      options: z.record(z.string(), z.unknown()).default({}),
      transport: transportSchema,
    })
    .strict(),
]);

const sensorSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    modality: z.enum(MODALITIES as [string, ...string[]]),
    frameId: z.string().min(1).optional(),
    rateHz: z.number().positive(),
    extrinsic: extrinsicSchema,
    camera: cameraSchema.optional(),
    source: sourceSchema.default({ type: 'scenario' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.modality === 'camera' && !s.camera) {
      ctx.addIssue({ code: 'custom', path: ['camera'], message: 'a camera sensor needs its intrinsics (width, height, fx, fy, cx, cy)' });
    }
    if (s.source.type === 'live') {
      const format = DECODER_FORMATS.get(s.source.format);
      if (format && format.modality !== s.modality) {
        ctx.addIssue({ code: 'custom', path: ['source', 'format'], message: `${s.source.format} decodes ${format.modality}, not ${s.modality}` });
      } else if (format) {
        try {
          format.parse(s.source.options, { sensorId: s.id, frameId: s.frameId });
        } catch (err) {
          for (const issue of (err as z.ZodError).issues ?? [{ path: [], message: (err as Error).message }]) {
            ctx.addIssue({ code: 'custom', path: ['source', 'options', ...issue.path], message: issue.message });
          }
        }
      }
    }
    if (s.modality !== 'camera' && s.camera) {
      ctx.addIssue({ code: 'custom', path: ['camera'], message: `intrinsics given for a ${s.modality} sensor` });
    }
  });

const positiveMs = z.number().positive().refine(Number.isFinite, 'expected a finite number');
const perSensor = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

export const SYNC_POLICIES = ['nearest', 'approximate', 'exact', 'latest', 'slop'] as const;
export type SyncPolicyName = (typeof SYNC_POLICIES)[number];

/**
 * How frames become sets. `nearest`: one set per frame of the reference sensor with each other
 * sensor's nearest frame within the tolerance (a collector in the manner of Autoware's).
 * `approximate`, `exact`, `latest`: ROS message_filters' ApproximateTime, ExactTime and LatestTime.
 * `slop`: every sensor's frame within slopMs of each other (message_filters' Python synchronizer).
 */
const syncSchema = z
  .object({
    policy: z.enum(SYNC_POLICIES),
    /** nearest: the sensor that opens each set. Other policies: the sensor whose stamp is the set's stamp. */
    reference: z.string().min(1).optional(),
    /** nearest: how far from the reference stamp a frame may be. */
    toleranceMs: positiveMs.default(60),
    /** approximate, exact, slop: messages kept per sensor while waiting. */
    queueSize: z.number().int().positive().max(100_000).default(10),
    /** approximate: the widest spread a set may have. */
    maxIntervalMs: positiveMs.optional(),
    /** approximate: message_filters' age penalty. */
    agePenalty: z.number().min(0).refine(Number.isFinite, 'expected a finite number').default(0.1),
    /** slop: the widest spread a set may have. */
    slopMs: positiveMs.optional(),
    /**
     * A sensor whose newest stamp lags the stream by more than this leaves the sets (they go out
     * with it in `missing`) until it speaks again; its health is late past it and silent past twice
     * it. One number for all sensors, or per sensor id (sensors left out get 150 ms).
     */
    timeoutMs: z.union([positiveMs, perSensor(positiveMs)]).default(150),
    /** Fixed offsets added to each sensor's stamps, like Autoware's timestamp offsets. */
    offsetsMs: perSensor(z.number().refine(Number.isFinite, 'expected a finite number')).default({}),
    /**
     * Each sensor's clock: `sensor` (its stamps are on the engine clock), `estimate` (offset and drift
     * estimated online from arrival times), `arrival` (stamped on arrival). Default `sensor`.
     */
    clocks: perSensor(z.enum(['sensor', 'estimate', 'arrival'])).default({}),
    /** Frames of one sensor are re-sorted within this window; later ones are dropped as late. */
    reorderWindowMs: z.number().min(0).refine(Number.isFinite, 'expected a finite number').default(0),
  })
  .strict()
  .superRefine((sync, ctx) => {
    if (sync.policy === 'nearest' && sync.reference === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reference'], message: 'the nearest policy needs a reference sensor' });
    }
    if (sync.policy === 'slop' && sync.slopMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['slopMs'], message: 'the slop policy needs slopMs' });
    }
  });

const fusionSchema = z
  .object({
    /** GNSS sensor whose fixes give the ego pose in events. */
    egoGnss: z.string().min(1).optional(),
    /**
     * LiDAR sweeps split into ground and clusters by the native kernels; each cluster becomes an
     * object of the event, classed by the camera detectors where the rig has some (classSource
     * `camera`), else by its shape (`shape`).
     */
    lidarClusters: z
      .object({
        rangeM: positiveMs.default(50),
        resolutionM: positiveMs.default(0.25),
        groundThresholdM: positiveMs.default(0.25),
        minPoints: z.number().int().positive().default(5),
        /**
         * A cell whose lowest point is higher than this (base_link z, metres) holds no ground, so
         * the head of a pedestrian behind a car is not taken for ground. Right for a base_link on
         * the ground and roads about level with it; left out, there is no limit.
         */
        maxGroundZ: finite.optional(),
        /**
         * Occupied cells within this many cells of each other (Chebyshev) join one cluster; 1 joins
         * touching cells only. 2 at 0.25 m bridges the gaps between the sparse rings on a car's roof.
         */
        linkRadius: z.number().int().min(1).max(16).default(1),
        /** A cluster's projected box and a camera detection overlapping less than this (IoU) are not associated. */
        cameraIouThreshold: z.number().gt(0).max(1).default(0.3),
      })
      .strict()
      .optional(),
    /**
     * Track the fused objects (stable ids, velocity, existence); only confirmed and coasting tracks
     * reach events. `true` takes the tracker's defaults; an object sets its lifecycle: a track is
     * confirmed at confirmHits hits within its first confirmWindow updates and dropped after
     * maxMisses misses in a row.
     */
    track: z
      .union([
        z.boolean(),
        z
          .object({
            confirmHits: z.number().int().min(1).max(1000).default(DEFAULT_LIFECYCLE.confirmHits),
            confirmWindow: z.number().int().min(1).max(1000).default(DEFAULT_LIFECYCLE.confirmWindow),
            maxMisses: z.number().int().min(1).max(1000).default(DEFAULT_LIFECYCLE.maxMisses),
          })
          .strict()
          .refine((t) => t.confirmHits <= t.confirmWindow, { message: 'confirmHits must not exceed confirmWindow', path: ['confirmHits'] }),
      ])
      .default(true),
  })
  .strict();

const outputsSchema = z
  .object({
    /** Record events (percept.PerceptionEvent) and, by default, the raw frames into one MCAP file. */
    mcap: z.object({ path: z.string().min(1), frames: z.boolean().default(true) }).strict().optional(),
    /** WebSocket server: percept's protocol and Foxglove's on one port. */
    websocket: websocketOutputSchema.optional(),
    /** MQTT: an embedded broker on loopback, or an external one by URL. */
    mqtt: mqttOutputSchema.optional(),
    /** Prometheus `/metrics` and `/healthz` on an HTTP port (0: any free port). */
    metrics: z.object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535) }).strict().optional(),
  })
  .strict();

export const rigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    sensors: z.array(sensorSchema).min(1),
    sync: syncSchema,
    /** ONNX encoders: camera detectors (YOLO, CenterNet, SSD formats) and the built-in Silero VAD. */
    encoders: z.array(encoderConfigSchema).default([]),
    fusion: fusionSchema.prefault({}),
    outputs: outputsSchema.default({}),
  })
  .strict()
  .superRefine((rig, ctx) => {
    // With no sensors, "no sensor named X" would only repeat the one real problem.
    if (rig.sensors.length === 0) return;
    const ids = new Set<string>();
    rig.sensors.forEach((s, i) => {
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['sensors', i, 'id'], message: `duplicate sensor id "${s.id}"` });
      ids.add(s.id);
    });
    if (rig.sync.reference !== undefined && !ids.has(rig.sync.reference)) {
      ctx.addIssue({ code: 'custom', path: ['sync', 'reference'], message: `no sensor with id "${rig.sync.reference}"` });
    }
    const perSensorMaps = { timeoutMs: typeof rig.sync.timeoutMs === 'number' ? {} : rig.sync.timeoutMs, offsetsMs: rig.sync.offsetsMs, clocks: rig.sync.clocks };
    for (const [field, map] of Object.entries(perSensorMaps)) {
      for (const id of Object.keys(map)) {
        if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['sync', field, id], message: `no sensor with id "${id}"` });
      }
    }
    for (const issue of encoderRigIssues(rig.encoders, rig.sensors)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    const ego = rig.fusion.egoGnss;
    if (ego !== undefined && rig.sensors.find((s) => s.id === ego)?.modality !== 'gnss') {
      ctx.addIssue({ code: 'custom', path: ['fusion', 'egoGnss'], message: `no gnss sensor with id "${ego}"` });
    }
  });

/** A rig as written (defaults may be left out). */
export type RigInput = z.input<typeof rigSchema>;
/** A validated rig with defaults filled in. */
export type Rig = z.output<typeof rigSchema>;
export type SensorConfig = Rig['sensors'][number];
export type SyncConfig = Rig['sync'];

/** The partial-set deadline (and health threshold) of one sensor, in milliseconds. */
export function sensorTimeoutMs(sync: SyncConfig, sensorId: string): number {
  return typeof sync.timeoutMs === 'number' ? sync.timeoutMs : (sync.timeoutMs[sensorId] ?? 150);
}
