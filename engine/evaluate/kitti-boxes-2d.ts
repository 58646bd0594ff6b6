/**
 * Labelled 2D boxes of a KITTI object frame (label_2, image_2 pixels) for detection recall, filtered
 * by the object benchmark's difficulty levels (its devkit: minimum box height, maximum occlusion
 * level 0 fully visible / 1 partly / 2 largely occluded, maximum truncation 0..1).
 */
import { parseKittiLabels } from '../../scenarios/import/kitti-label.js';
import type { TruthBox } from './detection-recall.js';

export const KITTI_DIFFICULTY = {
  easy: { minHeight: 40, maxOcclusion: 0, maxTruncation: 0.15 },
  moderate: { minHeight: 25, maxOcclusion: 1, maxTruncation: 0.3 },
  hard: { minHeight: 25, maxOcclusion: 2, maxTruncation: 0.5 },
  all: { minHeight: 0, maxOcclusion: 3, maxTruncation: 1 },
} as const;

export type KittiDifficulty = keyof typeof KITTI_DIFFICULTY;

/** The boxes of the listed KITTI types ({ Car: 'car', Pedestrian: 'pedestrian' }) that the difficulty admits. */
export function kittiTruthBoxes(labelText: string, file: string, categories: Readonly<Record<string, string>>, difficulty: KittiDifficulty = 'moderate'): TruthBox[] {
  const rule = KITTI_DIFFICULTY[difficulty];
  return parseKittiLabels(labelText, file).labels
    .filter((l) => Object.hasOwn(categories, l.type))
    .filter((l) => l.box2d[3] - l.box2d[1] >= rule.minHeight && l.occluded <= rule.maxOcclusion && l.truncated <= rule.maxTruncation)
    .map((l) => ({ box: [...l.box2d], category: categories[l.type] }));
}
