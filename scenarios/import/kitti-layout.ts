import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ImportError } from './import-error.js';
import { directoryExists, fileExists } from './read-input.js';

/** The files of one KITTI object frame. */
export interface KittiFrameFiles {
  velodyne: string;
  image: string;
  calib: string;
  /** Absent for the testing split (no ground truth). */
  label?: string;
}

export interface KittiFrame extends KittiFrameFiles {
  /** The frame's name in its split (e.g. 000001), or the folder name. */
  name: string;
}

/** More frames than this is not a scenario but a dataset conversion; split it. */
export const MAX_KITTI_FRAMES = 10_000;

const FRAME_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Finds the frames of a KITTI object folder: either one frame's files side by side
 * (velodyne.bin, image_2.png, calib.txt, label_2.txt, as in kitti_object_vis/000001), or the standard
 * split layout (velodyne/, image_2/, calib/, label_2/ holding NNNNNN.* files), given as the split
 * folder or its parent holding training/.
 */
export async function findKittiFrames(dir: string, frameNames?: readonly string[]): Promise<KittiFrame[]> {
  if (await fileExists(join(dir, 'velodyne.bin'))) {
    if (frameNames?.length) throw new ImportError(dir, 'a frame list needs the split layout (velodyne/, image_2/, calib/, label_2/)');
    const label = join(dir, 'label_2.txt');
    return [{
      name: basename(dir),
      velodyne: join(dir, 'velodyne.bin'),
      image: join(dir, 'image_2.png'),
      calib: join(dir, 'calib.txt'),
      label: (await fileExists(label)) ? label : undefined,
    }];
  }
  let split = dir;
  if (!(await directoryExists(join(split, 'velodyne')))) split = join(dir, 'training');
  if (!(await directoryExists(join(split, 'velodyne')))) {
    throw new ImportError(dir, 'not a KITTI object folder: expected velodyne.bin, velodyne/ or training/velodyne/');
  }
  const names = frameNames?.length ? [...frameNames] : await listFrameNames(join(split, 'velodyne'));
  if (names.length === 0) throw new ImportError(join(split, 'velodyne'), 'no .bin frames');
  if (names.length > MAX_KITTI_FRAMES) throw new ImportError(split, `${names.length} frames; at most ${MAX_KITTI_FRAMES} go in one scenario`);
  const frames: KittiFrame[] = [];
  for (const name of names) {
    if (!FRAME_NAME.test(name)) throw new ImportError(split, `frame name "${name.slice(0, 40)}" is not a plain file stem`);
    const label = join(split, 'label_2', `${name}.txt`);
    frames.push({
      name,
      velodyne: join(split, 'velodyne', `${name}.bin`),
      image: join(split, 'image_2', `${name}.png`),
      calib: join(split, 'calib', `${name}.txt`),
      label: (await fileExists(label)) ? label : undefined,
    });
  }
  return frames;
}

async function listFrameNames(velodyneDir: string): Promise<string[]> {
  const entries = await readdir(velodyneDir);
  return entries.filter((e) => e.endsWith('.bin')).map((e) => e.slice(0, -4)).sort();
}
