import sharp, { type Metadata } from 'sharp';
import { ImportError } from './import-error.js';

export interface ImageHeader {
  format: 'jpeg' | 'png';
  width: number;
  height: number;
}

/** Width, height and format of a JPEG or PNG from its header (nothing is decoded). */
export async function readImageHeader(bytes: Uint8Array, file: string): Promise<ImageHeader> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new ImportError(file, `not a readable image: ${(err as Error).message}`);
  }
  if (meta.format !== 'jpeg' && meta.format !== 'png') throw new ImportError(file, `image format is ${meta.format}; expected jpeg or png`);
  if (!meta.width || !meta.height) throw new ImportError(file, 'image header has no size');
  return { format: meta.format, width: meta.width, height: meta.height };
}
