import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRigFile, summarizeRig } from './check-rig.js';
import { validateRig } from './load-rig.js';

const RIGS = fileURLToPath(new URL('../../test/fixtures/rigs/', import.meta.url));

describe('checkRigFile', () => {
  it('accepts a good rig and describes it', () => {
    for (const file of ['good-rig.yaml', 'good-rig.json']) {
      const result = checkRigFile(join(RIGS, file));
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.rig.name).toBe('test-car');
      expect(result.summary).toBe([
        'rig test-car: 5 sensors',
        '  camera: cam_front 10 Hz (1242x375, plumb_bob, frame cam_front_optical)',
        '  lidar:  lidar_top 10 Hz',
        '  radar:  radar_front 13 Hz',
        '  gnss:   gnss 1 Hz',
        '  audio:  mic 50 Hz',
        'sync: nearest, to lidar_top, tolerance 50 ms, partial sets after 150–250 ms',
        'fusion: ego pose from gnss',
        'outputs: events to MCAP out/events.mcap',
      ].join('\n'));
    }
  });

  it('returns the problems of a bad rig instead of throwing', () => {
    expect(checkRigFile(join(RIGS, 'duplicate-sensor-id.yaml'))).toEqual({ ok: false, problems: ['sensors[2].id: duplicate sensor id "lidar_top"'] });
    expect(checkRigFile(join(RIGS, 'unknown-keys.yaml'))).toEqual({
      ok: false,
      problems: ['sensors[0].rate_hz: unknown key', 'sync.tolerance: unknown key', 'colour: unknown key'],
    });
  });

  it('returns a problem for a file it cannot read or parse', () => {
    expect(checkRigFile(join(RIGS, 'no-such-rig.yaml'))).toEqual({ ok: false, problems: ['cannot read the file: no such file (ENOENT)'] });
    expect(checkRigFile(join(RIGS, 'empty.yaml'))).toEqual({ ok: false, problems: ['the rig is empty: expected a mapping with name, sensors and sync'] });
    const notYaml = checkRigFile(join(RIGS, 'not-yaml.yaml'));
    expect(notYaml.ok).toBe(false);
    if (!notYaml.ok) expect(notYaml.problems[0]).toMatch(/^not valid YAML: .* at line 3, column 9$/);
  });
});

describe('summarizeRig', () => {
  it('groups sensors of one modality on a line, in modality order, and counts in the singular', () => {
    const rig = validateRig({
      name: 'two-cams',
      sensors: [
        { id: 'lidar', modality: 'lidar', rateHz: 20, extrinsic: { translation: [0, 0, 2], rotation: { rpy: [0, 0, 0] } } },
        { id: 'left', modality: 'camera', rateHz: 12.5, extrinsic: { translation: [0, 0.3, 1.5], rotation: { rpy: [0, 0, 0] } }, camera: { width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240 } },
        { id: 'right', modality: 'camera', rateHz: 1 / 3, extrinsic: { translation: [0, -0.3, 1.5], rotation: { rpy: [0, 0, 0] } }, camera: { width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240 } },
      ],
      sync: { policy: 'nearest', reference: 'left', toleranceMs: 33.3 },
    });
    expect(summarizeRig(rig)).toBe([
      'rig two-cams: 3 sensors',
      '  camera: left 12.5 Hz (640x480, no distortion), right 0.333333 Hz (640x480, no distortion)',
      '  lidar:  lidar 20 Hz',
      'sync: nearest, to left, tolerance 33.3 ms, partial sets after 150 ms',
    ].join('\n'));
    const one = validateRig({
      name: 'solo',
      sensors: [{ id: 'gps', modality: 'gnss', rateHz: 5, extrinsic: { translation: [0, 0, 0], rotation: { rpy: [0, 0, 0] } } }],
      sync: { policy: 'nearest', reference: 'gps' },
    });
    expect(summarizeRig(one).split('\n')[0]).toBe('rig solo: 1 sensor');
  });
});
