import type { Vec3 } from '../../engine/core/geometry.js';
import type { GroundTruthObject } from '../scenario-writer.js';
import { applyAffine, invertAffine, normalizeAngle, type Affine4 } from './affine.js';
import { ImportError, type ImportWarningHandler } from './import-error.js';

/** One object line of a KITTI label_2 file (camera coordinates are rectified cam 0). */
export interface KittiLabel {
  /** Car, Van, Truck, Pedestrian, Person_sitting, Cyclist, Tram, Misc or DontCare. */
  readonly type: string;
  readonly truncated: number;
  readonly occluded: number;
  readonly alpha: number;
  /** 2D box in the cam-2 image: left, top, right, bottom pixels. */
  readonly box2d: readonly [number, number, number, number];
  /** Height, width, length, metres. */
  readonly height: number;
  readonly width: number;
  readonly length: number;
  /** Bottom centre of the box in rectified cam-0 coordinates (x right, y down, z forward). */
  readonly location: Vec3;
  /** Rotation about cam y, radians; 0 = facing cam +x. */
  readonly rotationY: number;
  /** Detection score (result files only). */
  readonly score?: number;
}

export interface ParsedLabels {
  labels: KittiLabel[];
  /** Lines that did not parse; each was reported to onWarning. */
  skipped: number;
}

/** Parses a label file; a line that does not parse is skipped, counted and reported, never fatal. */
export function parseKittiLabels(text: string, file: string, onWarning: ImportWarningHandler = () => {}): ParsedLabels {
  const labels: KittiLabel[] = [];
  let skipped = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      labels.push(parseLabelLine(line, file, index + 1));
    } catch (err) {
      if (!(err instanceof ImportError)) throw err;
      skipped++;
      onWarning(`${err.message} (line skipped)`);
    }
  });
  return { labels, skipped };
}

function parseLabelLine(line: string, file: string, lineNo: number): KittiLabel {
  const tokens = line.split(/\s+/);
  if (tokens.length !== 15 && tokens.length !== 16) {
    throw new ImportError(file, `label line has ${tokens.length} fields; expected 15 (or 16 with a score)`, lineNo);
  }
  const type = tokens[0];
  if (!/^[A-Za-z_]+$/.test(type)) throw new ImportError(file, `object type "${type.slice(0, 20)}" is not a word`, lineNo);
  const n = tokens.slice(1).map((t, i) => {
    const v = Number(t);
    if (t === '' || !Number.isFinite(v)) throw new ImportError(file, `field ${i + 2} "${t.slice(0, 20)}" is not a finite number`, lineNo);
    return v;
  });
  const label: KittiLabel = {
    type,
    truncated: n[0],
    occluded: n[1],
    alpha: n[2],
    box2d: [n[3], n[4], n[5], n[6]],
    height: n[7],
    width: n[8],
    length: n[9],
    location: { x: n[10], y: n[11], z: n[12] },
    rotationY: n[13],
    score: n.length === 15 ? n[14] : undefined,
  };
  if (type !== 'DontCare' && !(label.height > 0 && label.width > 0 && label.length > 0)) {
    throw new ImportError(file, `${type} has a non-positive size (h ${label.height}, w ${label.width}, l ${label.length})`, lineNo);
  }
  return label;
}

/**
 * A label as ground truth in the Velodyne frame: the box centre (the label gives the bottom centre,
 * and cam y points down), size [l, w, h], yaw = −rotation_y − π/2 (cam x right/z forward against
 * Velodyne x forward/y left), velocity unknown (0).
 */
export function kittiLabelToGroundTruth(label: KittiLabel, veloToRect: Affine4, id: number): GroundTruthObject {
  const centreRect = { x: label.location.x, y: label.location.y - label.height / 2, z: label.location.z };
  return {
    id,
    label: label.type.toLowerCase(),
    position: applyAffine(invertAffine(veloToRect), centreRect),
    size: { x: label.length, y: label.width, z: label.height },
    yaw: normalizeAngle(-label.rotationY - Math.PI / 2),
    velocity: { x: 0, y: 0, z: 0 },
  };
}
