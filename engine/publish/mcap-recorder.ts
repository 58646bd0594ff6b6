import type { SensorFrame } from '../core/frames.js';
import type { PerceptionEvent } from '../events/perception-event.js';
import { ScenarioRecorder } from '../../scenarios/scenario-recorder.js';
import type { Publisher, PublisherContext, PublisherStats } from './publisher.js';

export interface McapRecorderOptions {
  path: string;
  /** Record the raw sensor frames beside the events (default true): the file then replays as a scenario. */
  frames?: boolean;
}

/**
 * Records events, and the raw frames they came from, into one MCAP file: frames in Foxglove and
 * percept schemas on their sensor topics, events on /percept/events, the rig and the calibration
 * as in any scenario. Stopping finishes the file (summary, indexes, footer).
 */
export function createMcapRecorder(options: McapRecorderOptions, context: PublisherContext): Publisher {
  let recorder: ScenarioRecorder | undefined;
  const withFrames = options.frames ?? true;
  return {
    name: `mcap ${options.path}`,
    async start() {
      recorder = await ScenarioRecorder.create(options.path, { rig: context.rig, clock: context.clock, info: { recorder: 'percept engine' } });
      context.log?.(`recording to ${options.path}`);
    },
    publishEvent(event: PerceptionEvent) {
      recorder?.writeEvent(event);
    },
    publishFrame(frame: SensorFrame) {
      if (withFrames) recorder?.write(frame);
    },
    async stop() {
      await recorder?.close();
    },
    stats(): PublisherStats {
      const s = recorder?.stats;
      const written = s ? Object.values(s.frames).reduce((a, b) => a + b, 0) + s.events : 0;
      return { sent: written, dropped: s ? { ...s.skipped } : {}, clients: 0, queued: 0 };
    },
  };
}
