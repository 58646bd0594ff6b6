import type { Command } from 'commander';
import type { Rig, RigInput } from '../config/rig-schema.js';
import { ConfigError, validateRig } from '../config/load-rig.js';
import { UsageError } from './cli-error.js';

/** The publishing flags `replay` and `run` share. */
export interface OutputFlags {
  wsPort?: string;
  mqtt?: string;
  mqttPort?: string;
  record?: string;
  metricsPort?: string;
}

export function addOutputOptions(command: Command): Command {
  return command
    .option('--ws-port <port>', 'serve events over WebSocket (percept and Foxglove protocols) on this port (0: any free port)')
    .option('--mqtt <url>', 'publish events to this MQTT broker (mqtt://, mqtts://, ws://)')
    .option('--mqtt-port <port>', 'publish events through an embedded MQTT broker on this port (0: any free port)')
    .option('--record <file>', 'record raw frames and events into one MCAP file')
    .option('--metrics-port <port>', 'serve Prometheus /metrics and /healthz on this port (0: any free port)');
}

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag} must be a port number (0–65535), got "${value}"`);
  return n;
}

/** The rig's outputs with the flags' on top; a flag that conflicts with the rig wins. */
export function outputsFromFlags(flags: OutputFlags): NonNullable<RigInput['outputs']> {
  if (flags.mqtt !== undefined && flags.mqttPort !== undefined) throw new UsageError('--mqtt and --mqtt-port exclude each other');
  const outputs: NonNullable<RigInput['outputs']> = {};
  const wsPort = port('ws-port', flags.wsPort);
  if (wsPort !== undefined) outputs.websocket = { port: wsPort };
  const mqttPort = port('mqtt-port', flags.mqttPort);
  if (flags.mqtt !== undefined) outputs.mqtt = { url: flags.mqtt };
  else if (mqttPort !== undefined) outputs.mqtt = { port: mqttPort };
  if (flags.record !== undefined) outputs.mcap = { path: flags.record };
  const metricsPort = port('metrics-port', flags.metricsPort);
  if (metricsPort !== undefined) outputs.metrics = { port: metricsPort };
  return outputs;
}

export function withOutputs(rig: Rig, outputs: NonNullable<RigInput['outputs']>): Rig {
  if (Object.keys(outputs).length === 0) return rig;
  try {
    return validateRig({ ...rig, outputs: { ...rig.outputs, ...outputs } }, 'command-line outputs');
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
