import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openProcess } from '../transports/process.js';
import { createMjpegStreamDecoder } from './mjpeg-stream-decode.js';
import { createRawImageDecoder } from './raw-image-decode.js';
import { ffmpegCommand } from './ffmpeg-command.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const kittiPngPath = fileURLToPath(new URL('../../test/fixtures/kitti/000001/image_2.png', import.meta.url));

describe('ffmpegCommand', () => {
  it('builds arguments for an RTSP camera to rawvideo on stdout', () => {
    const cmd = ffmpegCommand({ source: { kind: 'rtsp', url: 'rtsp://10.0.0.5:554/stream1' }, output: { format: 'rawvideo', encoding: 'bgr8', width: 1280, height: 720, fps: 10 } });
    expect(cmd.command).toBe('ffmpeg');
    expect(cmd.args).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', 'rtsp://10.0.0.5:554/stream1',
      '-an', '-sn', '-dn', '-vf', 'scale=1280:720', '-r', '10',
      '-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1',
    ]);
    expect(cmd.decoder).toEqual({ kind: 'raw', encoding: 'bgr8', width: 1280, height: 720 });
  });

  it('builds arguments for a V4L2 USB camera and for a looping video file to MJPEG', () => {
    const usb = ffmpegCommand({ source: { kind: 'v4l2', device: '/dev/video2', inputFormat: 'mjpeg', width: 1920, height: 1080, fps: 30 }, output: { format: 'mjpeg', quality: 3 } });
    expect(usb.args.slice(4, 14)).toEqual(['-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '1920x1080', '-framerate', '30', '-i', '/dev/video2']);
    expect(usb.args.slice(-9)).toEqual(['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '3', '-f', 'mjpeg', 'pipe:1']);
    expect(usb.decoder).toEqual({ kind: 'mjpeg' });
    const file = ffmpegCommand({ ffmpegPath: '/opt/ffmpeg/bin/ffmpeg', source: { kind: 'file', path: 'drive.mp4', loop: true }, output: { format: 'rawvideo', encoding: 'nv12', width: 640, height: 360 } });
    expect(file.command).toBe('/opt/ffmpeg/bin/ffmpeg');
    expect(file.args.slice(4, 9)).toEqual(['-re', '-stream_loop', '-1', '-i', 'drive.mp4']);
    expect(file.args).toContain('nv12');
  });

  it('rejects invalid configs naming the field', () => {
    expect(() => ffmpegCommand({ source: { kind: 'rtsp', url: 'http://x' }, output: { format: 'mjpeg' } })).toThrow(/source\.url/);
    expect(() => ffmpegCommand({ source: { kind: 'file', path: 'x' }, output: { format: 'rawvideo', encoding: 'rgb8' } as never })).toThrow(/output\.width/);
  });

  it('an ffmpeg that is not installed is a clear status, not a crash', async () => {
    const cmd = ffmpegCommand({ ffmpegPath: 'ffmpeg-not-installed-here/ffmpeg', source: { kind: 'file', path: kittiPngPath }, output: { format: 'mjpeg' } });
    const transport = openProcess({ type: 'process', command: cmd.command, args: cmd.args });
    await expect(firstValueFrom(transport.data$)).rejects.toThrow('ffmpeg not found at ffmpeg-not-installed-here/ffmpeg: install it (Debian: apt-get install ffmpeg)');
  });

  // Only where ffmpeg is installed; CI does not install it.
  it.skipIf(!hasFfmpeg)('decodes what a real ffmpeg writes for the KITTI image, as rawvideo and as MJPEG', async () => {
    const raw = ffmpegCommand({ source: { kind: 'file', path: kittiPngPath, realtime: false }, output: { format: 'rawvideo', encoding: 'rgb8', width: 124, height: 38 } });
    const rawChunks = await firstValueFrom(openProcess({ type: 'process', command: raw.command, args: raw.args }).data$.pipe(toArray()));
    const rawDecoder = createRawImageDecoder({ sensorId: 'cam', encoding: 'rgb8', width: 124, height: 38 });
    const rawFrames = rawChunks.flatMap((c) => rawDecoder.push(c.bytes, c.receivedAt));
    expect(rawFrames.length).toBe(1);
    const mjpeg = ffmpegCommand({ source: { kind: 'file', path: kittiPngPath, realtime: false }, output: { format: 'mjpeg' } });
    const chunks = await firstValueFrom(openProcess({ type: 'process', command: mjpeg.command, args: mjpeg.args }).data$.pipe(toArray()));
    const decoder = createMjpegStreamDecoder({ sensorId: 'cam' });
    const frames = chunks.flatMap((c) => decoder.push(c.bytes, c.receivedAt));
    expect(frames.map((f) => [f.width, f.height])).toEqual([[1242, 375]]);
  });
});
