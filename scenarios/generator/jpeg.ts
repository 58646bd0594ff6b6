import sharp from 'sharp';
import type { RgbImage } from './raster.js';

/** libjpeg's output depends only on the pixels and these settings, so equal images give equal bytes. */
export async function encodeJpeg(img: RgbImage, quality = 80): Promise<Uint8Array> {
  const buffer = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, optimiseCoding: false })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
