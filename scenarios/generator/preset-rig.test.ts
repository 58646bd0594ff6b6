import { describe, expect, it } from 'vitest';
import { loadRigFile, sensorCameraModel, sensorExtrinsic } from '../../engine/config/load-rig.js';
import { OPTICAL_TO_BODY, quatFromYaw, quatMultiply, rotate } from '../../engine/core/geometry.js';
import { loadPresetRig, presetRigPath } from './preset-rig.js';

describe('nuscenes-like rig', () => {
  const rig = loadRigFile(presetRigPath());

  it('validates with the engine loader, and loadPresetRig agrees', () => {
    expect(loadPresetRig().rig).toEqual(rig);
    expect(rig.sync).toMatchObject({ policy: 'nearest', reference: 'lidar_top', toleranceMs: 60, timeoutMs: 150 });
    expect(rig.fusion).toEqual({
      egoGnss: 'gnss',
      lidarClusters: { rangeM: 50, resolutionM: 0.25, groundThresholdM: 0.25, minPoints: 4, maxGroundZ: 0.6, linkRadius: 2, cameraIouThreshold: 0.3 },
      track: true,
    });
    expect(rig.sensors.map((s) => s.id)).toEqual([
      'cam_front', 'cam_front_left', 'cam_front_right', 'cam_back', 'cam_back_left', 'cam_back_right', 'lidar_top',
      'radar_front', 'radar_front_left', 'radar_front_right', 'radar_back_left', 'radar_back_right', 'gnss', 'mic',
    ]);
  });

  it('mounts the cameras as yaw · OPTICAL_TO_BODY at 1.5 m, looking where their names say', () => {
    const yaws: Record<string, number> = { cam_front: 0, cam_front_left: 55, cam_front_right: -55, cam_back: 180, cam_back_left: 110, cam_back_right: -110 };
    for (const [id, deg] of Object.entries(yaws)) {
      const s = rig.sensors.find((x) => x.id === id)!;
      const t = sensorExtrinsic(s);
      const q = quatMultiply(quatFromYaw((deg * Math.PI) / 180), OPTICAL_TO_BODY);
      const sign = Math.sign(q.w * t.rotation.w + q.x * t.rotation.x + q.y * t.rotation.y + q.z * t.rotation.z);
      for (const k of ['x', 'y', 'z', 'w'] as const) expect(t.rotation[k] * sign).toBeCloseTo(q[k], 9);
      expect(t.translation.z).toBe(1.5);
      // The optical axis (z) points along the yaw in base_link; image "down" (y) points down.
      const axis = rotate(t.rotation, { x: 0, y: 0, z: 1 });
      expect(Math.atan2(axis.y, axis.x)).toBeCloseTo(Math.atan2(Math.sin((deg * Math.PI) / 180), Math.cos((deg * Math.PI) / 180)), 9);
      expect(rotate(t.rotation, { x: 0, y: 1, z: 0 }).z).toBeCloseTo(-1, 9);
      const cam = sensorCameraModel(s)!;
      expect([cam.width, cam.height, cam.distortionModel]).toEqual([1600, 900, 'plumb_bob']);
      expect(cam.fx).toBeCloseTo(id === 'cam_back' ? 809 : 1266, -1);
    }
  });
});
