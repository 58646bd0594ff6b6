import { z } from 'zod';
import { parseAudioOptions } from './audio-options.js';
import { MAX_WAV_CHANNELS, MAX_WAV_SAMPLE_RATE } from './wav-header.js';

export const arecordCommandSchema = z
  .object({
    arecordPath: z.string().min(1).default('arecord'),
    /** ALSA device: "default", "hw:1,0", "plughw:1,0" (plughw converts rate and format in ALSA). */
    device: z.string().min(1).default('default'),
    sampleRate: z.number().int().min(1).max(MAX_WAV_SAMPLE_RATE).default(16_000),
    channels: z.number().int().min(1).max(MAX_WAV_CHANNELS).default(1),
    format: z.enum(['s16le', 'f32le']).default('s16le'),
    /** ALSA period; smaller gives lower latency and more wake-ups. */
    periodUs: z.number().int().positive().max(1_000_000).optional(),
    bufferUs: z.number().int().positive().max(10_000_000).optional(),
  })
  .strict();

export type ArecordCommandConfig = z.input<typeof arecordCommandSchema>;

const ALSA_FORMATS = { s16le: 'S16_LE', f32le: 'FLOAT_LE' } as const;

/**
 * arecord arguments for ALSA capture as headerless PCM on stdout, for the process transport
 * feeding createPcmDecoder with the same sampleRate, channels and format.
 */
export function arecordCommand(config: ArecordCommandConfig = {}): { command: string; args: string[] } {
  const c = parseAudioOptions(arecordCommandSchema, config, 'arecord command');
  const args = ['-q', '-D', c.device, '-t', 'raw', '-f', ALSA_FORMATS[c.format], '-r', String(c.sampleRate), '-c', String(c.channels)];
  if (c.periodUs) args.push('-F', String(c.periodUs));
  if (c.bufferUs) args.push('-B', String(c.bufferUs));
  args.push('-');
  return { command: c.arecordPath, args };
}
