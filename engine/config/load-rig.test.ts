import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  formatPath,
  loadRigFile,
  parseRigText,
  sensorCameraModel,
  sensorExtrinsic,
  sensorFrameId,
  validateRig,
} from './load-rig.js';
import type { RigInput } from './rig-schema.js';
import { OPTICAL_TO_BODY, rotate } from '../core/geometry.js';

const RIGS = fileURLToPath(new URL('../../test/fixtures/rigs/', import.meta.url));
const rigPath = (name: string): string => join(RIGS, name);

/** The good rig as written, for tests that change one thing in it. */
function goodInput(): Record<string, any> {
  return parseYaml(readFileSync(rigPath('good-rig.yaml'), 'utf8'));
}

/** The problems a ConfigError names, or a failure if nothing was thrown. */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError, but the rig was accepted');
}

const MINIMAL: RigInput = {
  name: 'minimal',
  sensors: [{ id: 'lidar', modality: 'lidar', rateHz: 10, extrinsic: { translation: [0, 0, 1.8], rotation: { quaternion: [0, 0, 0, 1] } } }],
  sync: { policy: 'nearest', reference: 'lidar' },
};

describe('a good rig', () => {
  it('validates from YAML and from JSON to the same rig', () => {
    const fromYaml = loadRigFile(rigPath('good-rig.yaml'));
    const fromJson = loadRigFile(rigPath('good-rig.json'));
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml.name).toBe('test-car');
    expect(fromYaml.sensors.map((s) => `${s.id}:${s.modality}`)).toEqual([
      'cam_front:camera', 'lidar_top:lidar', 'radar_front:radar', 'gnss:gnss', 'mic:audio',
    ]);
    expect(fromYaml.sensors[0].camera?.distortion.coefficients).toHaveLength(5);
  });

  it('gets the defaults filled in', () => {
    const rig = validateRig(MINIMAL);
    expect(rig.sync).toEqual({
      policy: 'nearest', reference: 'lidar', toleranceMs: 60, timeoutMs: 150, queueSize: 10, agePenalty: 0.1,
      offsetsMs: {}, clocks: {}, reorderWindowMs: 0,
    });
    expect(rig.encoders).toEqual([]);
    expect(rig.fusion).toEqual({ track: true });
    // No ground limit unless the rig sets one: it is right only where base_link is on the ground.
    expect(validateRig({ ...MINIMAL, fusion: { lidarClusters: {}, track: { maxMisses: 8 } } }).fusion).toEqual({
      lidarClusters: { rangeM: 50, resolutionM: 0.25, groundThresholdM: 0.25, minPoints: 5, linkRadius: 1, cameraIouThreshold: 0.3 },
      track: { confirmHits: 3, confirmWindow: 5, maxMisses: 8 },
    });
    expect(rig.outputs).toEqual({});
    expect(rig.sensors[0].source).toEqual({ type: 'scenario' });
    expect(rig.sensors[0].frameId).toBeUndefined();

    const good = loadRigFile(rigPath('good-rig.yaml'));
    expect(good.sync.toleranceMs).toBe(50); // as written
    expect(good.sync.timeoutMs).toEqual({ lidar_top: 250 }); // per sensor, as written
    expect(good.sensors[1].source).toEqual({ type: 'scenario', topic: '/velodyne_points' });
    expect(good.sensors[2].source).toEqual({ type: 'scenario' });
  });

  it('gets a camera without distortion the "none" model', () => {
    const input = goodInput();
    delete input.sensors[0].camera.distortion;
    const rig = validateRig(input);
    expect(rig.sensors[0].camera?.distortion).toEqual({ model: 'none', coefficients: [] });
    expect(sensorCameraModel(rig.sensors[0])?.distortionModel).toBe('none');
  });

  it('does not change the object it validates', () => {
    const input = structuredClone(MINIMAL);
    validateRig(input);
    expect(input).toEqual(MINIMAL);
  });
});

describe('sensor helpers', () => {
  const rig = loadRigFile(rigPath('good-rig.yaml'));

  it('sensorExtrinsic turns rpy into the quaternion it names', () => {
    const cam = sensorExtrinsic(rig.sensors[0]);
    expect(cam.translation).toEqual({ x: 1.5, y: 0, z: 1.6 });
    // rpy (-90°, 0, -90°) is the optical → body rotation: camera forward (z) is base_link forward (x).
    const forward = rotate(cam.rotation, { x: 0, y: 0, z: 1 });
    expect(forward.x).toBeCloseTo(1, 12);
    for (const k of ['x', 'y', 'z', 'w'] as const) expect(Math.abs(cam.rotation[k])).toBeCloseTo(Math.abs(OPTICAL_TO_BODY[k]), 12);
  });

  it('sensorExtrinsic normalizes a quaternion that is not unit length', () => {
    const input = structuredClone(MINIMAL) as Record<string, any>;
    input.sensors[0].extrinsic.rotation = { quaternion: [0, 0, 2, 2] };
    const { rotation } = sensorExtrinsic(validateRig(input).sensors[0]);
    expect(Math.hypot(rotation.x, rotation.y, rotation.z, rotation.w)).toBeCloseTo(1, 15);
    expect(rotation.z).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('sensorCameraModel carries intrinsics and distortion; other sensors have none', () => {
    expect(sensorCameraModel(rig.sensors[0])).toEqual({
      width: 1242, height: 375, fx: 721.5377, fy: 721.5377, cx: 609.5593, cy: 172.854,
      distortionModel: 'plumb_bob', distortion: [-0.3728755, 0.2037299, 0.002219027, 0.001383707, -0.07233722],
    });
    expect(sensorCameraModel(rig.sensors[1])).toBeUndefined();
  });

  it('sensorFrameId is the frameId, or else the id', () => {
    expect(sensorFrameId(rig.sensors[0])).toBe('cam_front_optical');
    expect(sensorFrameId(rig.sensors[1])).toBe('lidar_top');
  });
});

describe('rig files with errors', () => {
  const cases: [file: string, problems: string[]][] = [
    ['bad-field-types.yaml', [
      'sensors[0].rateHz: Invalid input: expected number, received string',
      'sensors[1].camera.fx: Invalid input: expected number, received string',
      'sync.toleranceMs: Invalid input: expected number, received array',
    ]],
    ['camera-without-intrinsics.yaml', ['sensors[0].camera: a camera sensor needs its intrinsics (width, height, fx, fy, cx, cy)']],
    ['duplicate-sensor-id.yaml', ['sensors[2].id: duplicate sensor id "lidar_top"']],
    ['unknown-sync-reference.yaml', ['sync.reference: no sensor with id "velodyne"']],
    ['unknown-keys.yaml', ['sensors[0].rate_hz: unknown key', 'sync.tolerance: unknown key', 'colour: unknown key']],
    ['non-finite.yaml', [
      'sensors[0].rateHz: Invalid input: expected number, received Infinity',
      'sensors[0].extrinsic.translation[1]: Invalid input: expected number, received NaN',
      'sensors[0].camera.cx: Invalid input: expected number, received -Infinity',
    ]],
    ['not-yaml.yaml', ['not valid YAML: Nested mappings are not allowed in compact mappings at line 3, column 9']],
    ['bad-json.json', ['not valid JSON: Expected double-quoted property name in JSON at position 47 (line 4, column 1)']],
    ['empty.yaml', ['the rig is empty: expected a mapping with name, sensors and sync']],
    ['not-text.yaml', ['not a text file (it holds NUL bytes): expected a rig in YAML or JSON']],
  ];
  for (const [file, expected] of cases) {
    it(`${file}: ${expected.length} problem${expected.length > 1 ? 's' : ''}, each naming where and what`, () => {
      expect(problemsOf(() => loadRigFile(rigPath(file)))).toEqual(expected);
    });
  }

  it('a ConfigError names the file and lists every problem', () => {
    const path = rigPath('bad-field-types.yaml');
    try {
      loadRigFile(path);
      expect.unreachable();
    } catch (err) {
      const e = err as ConfigError;
      expect(e.name).toBe('ConfigError');
      expect(e.source).toBe(path);
      expect(e.message.split('\n')).toEqual([`${path}: invalid rig`, ...e.problems.map((p) => `  - ${p}`)]);
    }
  });
});

describe('field errors', () => {
  const cases: [what: string, change: (rig: Record<string, any>) => void, problems: string[]][] = [
    ['a camera focal length of the wrong type', (r) => { r.sensors[0].camera.fx = 'abc'; }, ['sensors[0].camera.fx: Invalid input: expected number, received string']],
    ['a negative focal length', (r) => { r.sensors[0].camera.fy = -1; }, ['sensors[0].camera.fy: Too small: expected number to be >0']],
    ['a fractional image width', (r) => { r.sensors[0].camera.width = 12.5; }, ['sensors[0].camera.width: Invalid input: expected int, received number']],
    ['intrinsics on a lidar', (r) => { r.sensors[1].camera = r.sensors[0].camera; }, ['sensors[1].camera: intrinsics given for a lidar sensor']],
    ['six distortion coefficients', (r) => { r.sensors[0].camera.distortion.coefficients = [0, 0, 0, 0, 0, 0]; }, ['sensors[0].camera.distortion.coefficients: Too big: expected array to have <=5 items']],
    ['an unknown distortion model', (r) => { r.sensors[0].camera.distortion.model = 'fisheye'; }, ['sensors[0].camera.distortion.model: Invalid option: expected one of "none"|"plumb_bob"']],
    ['an unknown modality', (r) => { r.sensors[1].modality = 'sonar'; }, ['sensors[1].modality: Invalid option: expected one of "camera"|"lidar"|"radar"|"gnss"|"audio"']],
    ['a zero rate', (r) => { r.sensors[1].rateHz = 0; }, ['sensors[1].rateHz: Too small: expected number to be >0']],
    ['a sensor id with a space', (r) => { r.sensors[1].id = 'lidar top'; r.sync.reference = 'lidar top'; r.sync.timeoutMs = 150; }, ['sensors[1].id: letters, digits, _ . - only']],
    ['a translation of two numbers', (r) => { r.sensors[2].extrinsic.translation = [1, 2]; }, ['sensors[2].extrinsic.translation: Too small: expected array to have >=3 items']],
    ['a quaternion of three numbers', (r) => { r.sensors[1].extrinsic.rotation = { quaternion: [0, 0, 1] }; }, ['sensors[1].extrinsic.rotation.quaternion: Too small: expected array to have >=4 items']],
    ['a zero quaternion', (r) => { r.sensors[1].extrinsic.rotation = { quaternion: [0, 0, 0, 0] }; }, ['sensors[1].extrinsic.rotation.quaternion: a quaternion [x, y, z, w] must not be all zeros']],
    ['both quaternion and rpy', (r) => { r.sensors[1].extrinsic.rotation = { quaternion: [0, 0, 0, 1], rpy: [0, 0, 0] }; }, ['sensors[1].extrinsic.rotation: expected { quaternion: [x, y, z, w] } or { rpy: [roll, pitch, yaw] } in radians']],
    ['no rotation', (r) => { delete r.sensors[1].extrinsic.rotation; }, ['sensors[1].extrinsic.rotation: expected { quaternion: [x, y, z, w] } or { rpy: [roll, pitch, yaw] } in radians']],
    ['an unknown source type', (r) => { r.sensors[1].source = { type: 'udp' }; }, ["sensors[1].source.type: Invalid discriminator value. Expected 'scenario' | 'live'"]],
    ['a missing extrinsic', (r) => { delete r.sensors[3].extrinsic; }, ['sensors[3].extrinsic: Invalid input: expected object, received undefined']],
    ['an unknown sync policy', (r) => { r.sync.policy = 'fastest'; }, ['sync.policy: Invalid option: expected one of "nearest"|"approximate"|"exact"|"latest"|"slop"']],
    ['a slop policy without slopMs', (r) => { r.sync.policy = 'slop'; }, ['sync.slopMs: the slop policy needs slopMs']],
    ['a per-sensor timeout for a sensor not in the rig', (r) => { r.sync.timeoutMs = { lidar_top: 100, radar_rear: 80 }; }, ['sync.timeoutMs.radar_rear: no sensor with id "radar_rear"']],
    ['an unknown clock mode', (r) => { r.sync.clocks = { gnss: 'atomic' }; }, ['sync.clocks.gnss: Invalid option: expected one of "sensor"|"estimate"|"arrival"']],
    ['no sync section', (r) => { delete r.sync; }, ['sync: Invalid input: expected object, received undefined']],
    ['ego pose from a lidar', (r) => { r.fusion.egoGnss = 'lidar_top'; }, ['fusion.egoGnss: no gnss sensor with id "lidar_top"']],
    ['a ground limit that is not a number', (r) => { r.fusion.lidarClusters = { maxGroundZ: 'low' }; }, ['fusion.lidarClusters.maxGroundZ: Invalid input: expected number, received string']],
    ['a cluster link radius of 0 cells', (r) => { r.fusion.lidarClusters = { linkRadius: 0 }; }, ['fusion.lidarClusters.linkRadius: Too small: expected number to be >=1']],
    ['a camera IoU threshold of 0', (r) => { r.fusion.lidarClusters = { cameraIouThreshold: 0 }; }, ['fusion.lidarClusters.cameraIouThreshold: Too small: expected number to be >0']],
    ['more confirmation hits than updates to get them in', (r) => { r.fusion.track = { confirmHits: 4, confirmWindow: 3 }; }, ['fusion.track.confirmHits: confirmHits must not exceed confirmWindow']],
    ['an unknown tracker setting', (r) => { r.fusion.track = { coastS: 3 }; }, ['fusion.track.coastS: unknown key']],
    ['an encoder of an unknown type, without name or model', (r) => { r.encoders = [{ type: 'yolo' }]; }, [
      'encoders[0].name: Invalid input: expected string, received undefined',
      'encoders[0].type: Invalid option: expected one of "camera-detector"|"vad"',
      'encoders[0].model: Invalid input: expected string, received undefined',
    ]],
    ['an empty MCAP output path', (r) => { r.outputs.mcap.path = ''; }, ['outputs.mcap.path: Too small: expected string to have >=1 characters']],
    ['no sensors', (r) => { r.sensors = []; }, ['sensors: Too small: expected array to have >=1 items']],
    ['sensors as a mapping', (r) => { r.sensors = { lidar: {} }; }, ['sensors: Invalid input: expected array, received object']],
    ['a mapping without any of the rig’s keys', (r) => { for (const k of Object.keys(r)) delete r[k]; Object.assign(r, { 0: 'x' }); }, [
      'name: Invalid input: expected string, received undefined',
      'sensors: Invalid input: expected array, received undefined',
      'sync: Invalid input: expected object, received undefined',
      '0: unknown key',
    ]],
  ];
  for (const [what, change, expected] of cases) {
    it(`${what}`, () => {
      const input = goodInput();
      change(input);
      expect(problemsOf(() => validateRig(input))).toEqual(expected);
    });
  }

  it('reports every problem of a rig at once', () => {
    const input = goodInput();
    input.sensors[0].camera.fx = 'abc';
    input.sensors[4].id = 'gnss';
    input.sync.reference = 'nope';
    expect(problemsOf(() => validateRig(input))).toEqual([
      'sensors[0].camera.fx: Invalid input: expected number, received string',
    ]);
    // Cross-field checks run once the fields themselves are right.
    input.sensors[0].camera.fx = 700;
    expect(problemsOf(() => validateRig(input))).toEqual([
      'sensors[4].id: duplicate sensor id "gnss"',
      'sync.reference: no sensor with id "nope"',
    ]);
  });

  it('a value that is not a mapping', () => {
    expect(problemsOf(() => validateRig('a rig'))).toEqual(['(root): Invalid input: expected object, received string']);
    expect(problemsOf(() => parseRigText('- a\n- b\n'))).toEqual(['(root): Invalid input: expected object, received array']);
  });
});

describe('parseRigText', () => {
  const yamlText = readFileSync(rigPath('good-rig.yaml'), 'utf8');

  it('parses YAML by default and JSON when told', () => {
    expect(parseRigText(yamlText).name).toBe('test-car');
    expect(parseRigText(readFileSync(rigPath('good-rig.json'), 'utf8'), 'x', 'json').name).toBe('test-car');
  });

  it('gives JSON the stricter JSON errors', () => {
    expect(problemsOf(() => parseRigText(yamlText, 'rig.json', 'json'))[0]).toMatch(/^not valid JSON: Unexpected token '#'/);
    expect(problemsOf(() => parseRigText('{\n  "name": "x",\n  "sync": { "a": 1, }\n}', 'rig.json', 'json'))).toEqual([
      expect.stringMatching(/^not valid JSON: .* \(line 3, column 21\)$/),
    ]);
  });

  it('refuses duplicate keys in YAML', () => {
    expect(problemsOf(() => parseRigText(`${yamlText}\nname: again\n`))).toEqual([expect.stringMatching(/^not valid YAML: Map keys must be unique at line \d+, column 1$/)]);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const started = Date.now();
    expect(problemsOf(() => parseRigText(lines.join('\n')))[0]).toMatch(/^not valid YAML: .*alias/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('treats a rig of comments only as empty', () => {
    expect(problemsOf(() => parseRigText('# nothing here\n', 'r.yaml'))).toEqual(['the rig is empty: expected a mapping with name, sensors and sync']);
    expect(problemsOf(() => parseRigText('null', 'r.json', 'json'))).toEqual(['the rig is empty: expected a mapping with name, sensors and sync']);
  });

  it('names the source in the error', () => {
    expect(() => parseRigText('', 'my-rig.yaml')).toThrow(/^my-rig\.yaml: invalid rig/);
  });
});

describe('loadRigFile limits', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'percept-rig-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file larger than 4 MiB', () => {
    const path = join(dir, 'huge.yaml');
    // A valid rig followed by a long comment: only the size is wrong.
    writeFileSync(path, readFileSync(rigPath('good-rig.yaml'), 'utf8') + '#' + 'x'.repeat(4 * 1024 * 1024) + '\n');
    expect(problemsOf(() => loadRigFile(path))).toEqual([expect.stringMatching(/^file is 419\d{4} bytes; a rig may be at most 4194304$/)]);
  });

  it('accepts a file of exactly 4 MiB', () => {
    const path = join(dir, 'big.yaml');
    const rig = readFileSync(rigPath('good-rig.yaml'), 'utf8') + '#';
    writeFileSync(path, rig + 'x'.repeat(4 * 1024 * 1024 - Buffer.byteLength(rig) - 1) + '\n');
    expect(loadRigFile(path).name).toBe('test-car');
  });

  it('names a missing file and a directory', () => {
    expect(problemsOf(() => loadRigFile(join(dir, 'missing.yaml')))).toEqual(['cannot read the file: no such file (ENOENT)']);
    expect(problemsOf(() => loadRigFile(dir))).toEqual(['cannot read the file: it is a directory (EISDIR)']);
  });

  it('reads .JSON as JSON and anything else as YAML', () => {
    const json = join(dir, 'rig.JSON');
    writeFileSync(json, readFileSync(rigPath('good-rig.json')));
    expect(loadRigFile(json).name).toBe('test-car');
    const yml = join(dir, 'rig.yml');
    writeFileSync(yml, readFileSync(rigPath('good-rig.yaml')));
    expect(loadRigFile(yml).name).toBe('test-car');
  });
});

describe('formatPath', () => {
  it('writes keys with dots and indices in brackets', () => {
    expect(formatPath(['sensors', 1, 'camera', 'fx'])).toBe('sensors[1].camera.fx');
    expect(formatPath(['sync', 'reference'])).toBe('sync.reference');
    expect(formatPath(['sensors', 0, 'extrinsic', 'translation', 2])).toBe('sensors[0].extrinsic.translation[2]');
    expect(formatPath(['a', 0, 1, 'b'])).toBe('a[0][1].b');
  });

  it('handles the root and a leading index', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath([3])).toBe('[3]');
    expect(formatPath([3, 'x'])).toBe('[3].x');
    expect(formatPath(['name'])).toBe('name');
  });
});
