import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Real images the camera tests read (see the NOTICE files beside them). */
const fixture = (path: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url))));

export const nuscenesJpeg = (): Uint8Array => fixture('camera/n015-2018-07-18-11-07-57+0800__CAM_BACK_LEFT__1531883530447423.jpg');
export const nuscenesKeyframeJpegs = (): Uint8Array[] =>
  ['CAM_FRONT__1532402927612460', 'CAM_BACK__1532402927637525', 'CAM_FRONT_LEFT__1532402927604844'].map((name) => fixture(`nuscenes/n015-2018-07-24-11-22-45+0800__${name}.jpg`));
export const kittiPng = (): Uint8Array => fixture('kitti/000001/image_2.png');
