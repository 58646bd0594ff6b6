import { z } from 'zod';
import { MODALITIES } from '../core/frames.js';

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

/** Where a sensor's frames come from. Replay binds sensors to scenario topics. */
const sourceSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('scenario'),
      /** MCAP topic; defaults to the standard topic of the sensor's modality and id. */
      topic: z.string().min(1).optional(),
    })
    .strict(),
]);

const sensorSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    modality: z.enum(MODALITIES as [string, ...string[]]),
    frameId: z.string().min(1).optional(),
    rateHz: z.number().positive(),
    /** A sensor silent for longer than this is reported late, then silent at twice it. */
    timeoutMs: z.number().positive().optional(),
    extrinsic: extrinsicSchema,
    camera: cameraSchema.optional(),
    source: sourceSchema.default({ type: 'scenario' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.modality === 'camera' && !s.camera) {
      ctx.addIssue({ code: 'custom', path: ['camera'], message: 'a camera sensor needs its intrinsics (width, height, fx, fy, cx, cy)' });
    }
    if (s.modality !== 'camera' && s.camera) {
      ctx.addIssue({ code: 'custom', path: ['camera'], message: `intrinsics given for a ${s.modality} sensor` });
    }
  });

/**
 * One set per frame of the reference sensor, holding each other sensor's frame nearest to it
 * within the tolerance (a collector in the manner of Autoware's, with a deadline for partial sets).
 */
const syncSchema = z
  .object({
    policy: z.literal('nearest'),
    reference: z.string().min(1),
    toleranceMs: z.number().positive().default(60),
    /** How long past a reference stamp the set may wait for slower sensors before it goes out partial. */
    timeoutMs: z.number().positive().default(150),
  })
  .strict();

const fusionSchema = z
  .object({
    /** GNSS sensor whose fixes give the ego pose in events. */
    egoGnss: z.string().min(1).optional(),
  })
  .strict();

const outputsSchema = z
  .object({
    /** Record events (percept.PerceptionEvent) to an MCAP file. */
    mcap: z.object({ path: z.string().min(1) }).strict().optional(),
  })
  .strict();

export const rigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    sensors: z.array(sensorSchema).min(1),
    sync: syncSchema,
    /** ONNX encoders per modality; none are built in yet, so the list must be empty. */
    encoders: z.array(z.never()).max(0, 'no encoders are available in this version').default([]),
    fusion: fusionSchema.default({}),
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
    if (!ids.has(rig.sync.reference)) {
      ctx.addIssue({ code: 'custom', path: ['sync', 'reference'], message: `no sensor with id "${rig.sync.reference}"` });
    }
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
