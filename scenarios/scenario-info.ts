import { basename } from 'node:path';
import { formatStamp, nanosToSeconds, type Nanos } from '../engine/core/time.js';
import { RIG_METADATA } from './topics.js';
import { openScenario, type ScenarioDamage } from './scenario-reader.js';

export interface ScenarioTopicInfo {
  readonly topic: string;
  readonly schemaName: string;
  readonly messageEncoding: string;
  readonly messageCount: number;
  /** (count − 1) / (last − first log time); 0 with fewer than two messages. */
  readonly rateHz: number;
}

export interface ScenarioInfo {
  readonly path: string;
  readonly bytes: number;
  readonly durationS: number;
  readonly startTime: Nanos;
  readonly endTime: Nanos;
  readonly messageCount: number;
  readonly topics: readonly ScenarioTopicInfo[];
  /** Names of the metadata records. */
  readonly metadata: readonly string[];
  /** Chunk compression kinds ('none' for uncompressed chunks). */
  readonly compression: readonly string[];
  /** The stored rig's name, when the file has one. */
  readonly rigName: string | undefined;
  /** Set for a damaged file: the figures describe what precedes the damage. */
  readonly damage: ScenarioDamage | undefined;
}

/** Describes any MCAP file, percept's or not; a stored rig is named, not validated. */
export async function scenarioInfo(path: string): Promise<ScenarioInfo> {
  const scenario = await openScenario(path, { validateRig: false });
  try {
    const times = await scenario.topicTimes();
    const topics = scenario.topics.map((t): ScenarioTopicInfo => {
      const span = times.get(t.topic);
      const seconds = span ? nanosToSeconds(span.lastTime - span.firstTime) : 0;
      return {
        topic: t.topic,
        schemaName: t.schemaName,
        messageEncoding: t.messageEncoding,
        messageCount: t.messageCount,
        rateHz: t.messageCount > 1 && seconds > 0 ? (t.messageCount - 1) / seconds : 0,
      };
    });
    const rigInput = scenario.rigInput as { name?: unknown } | undefined;
    return {
      path,
      bytes: scenario.bytes,
      durationS: nanosToSeconds(scenario.endTime - scenario.startTime),
      startTime: scenario.startTime,
      endTime: scenario.endTime,
      messageCount: scenario.messageCount,
      topics,
      metadata: [...scenario.metadata.keys()],
      compression: scenario.compression,
      rigName: scenario.metadata.has(RIG_METADATA) && typeof rigInput?.name === 'string' ? rigInput.name : undefined,
      damage: scenario.damage,
    };
  } finally {
    await scenario.close();
  }
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatTime(ns: Nanos): string {
  const seconds = `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  return `${formatStamp(ns)} (${seconds})`;
}

/** A table in the manner of `ros2 bag info`. */
export function formatScenarioInfo(info: ScenarioInfo): string {
  const label = (name: string): string => `${name}:`.padEnd(19);
  const lines = [
    `${label('Files')}${basename(info.path)}`,
    `${label('Bag size')}${formatBytes(info.bytes)}`,
    `${label('Storage id')}mcap`,
    `${label('Duration')}${info.durationS.toFixed(3)}s`,
    `${label('Start')}${formatTime(info.startTime)}`,
    `${label('End')}${formatTime(info.endTime)}`,
    `${label('Messages')}${info.messageCount}`,
    `${label('Compression')}${info.compression.join(', ') || 'none (no chunks)'}`,
    `${label('Metadata')}${info.metadata.join(', ') || 'none'}`,
    `${label('Rig')}${info.rigName ?? 'none'}`,
  ];
  if (info.damage) lines.push(`${label('Damaged')}reading stops at byte ${info.damage.offset}: ${info.damage.reason}`);
  const width = (pick: (t: ScenarioTopicInfo) => string): number => Math.max(0, ...info.topics.map((t) => pick(t).length));
  const topicWidth = width((t) => t.topic);
  const typeWidth = width((t) => t.schemaName);
  const countWidth = width((t) => String(t.messageCount));
  const rows = info.topics.map((t) => [
    `Topic: ${t.topic.padEnd(topicWidth)}`,
    `Type: ${t.schemaName.padEnd(typeWidth)}`,
    `Count: ${String(t.messageCount).padStart(countWidth)}`,
    `Rate: ${t.rateHz.toFixed(2).padStart(7)} Hz`,
    `Serialization Format: ${t.messageEncoding}`,
  ].join(' | '));
  if (rows.length === 0) lines.push(`${label('Topic information')}none`);
  else rows.forEach((row, i) => lines.push(`${i === 0 ? label('Topic information') : ' '.repeat(19)}${row}`));
  return lines.join('\n');
}
