#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../core/package-root.js';
import { checkRigFile } from '../config/check-rig.js';
import { formatConfigProblems } from '../config/load-rig.js';
import { ScenarioReadError } from '../../scenarios/scenario-reader.js';
import { UsageError } from './cli-error.js';
import { collectDoctorReport, formatDoctorReport } from './doctor.js';
import { runReplayCommand } from './replay-command.js';
import { addOutputOptions } from './output-flags.js';
import { runDecodeCommand } from './decode-command.js';
import { DECODE_FILE_FORMATS } from '../../adapters/decode-file.js';
import { runScenarioGenerate, runScenarioImport, runScenarioImportComma2k19, runScenarioInfo } from './scenario-commands.js';
import { runRunCommand } from './run-command.js';
import { runRecordCommand } from './record-command.js';
import { runOverlayCommand } from './overlay-command.js';
import { runSubscribeCommand } from './subscribe-command.js';
import { runModelsCommand } from './models-command.js';
import { INFER_FAMILIES, runInferCommand } from './infer-command.js';

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function buildProgram(): Command {
  const program = new Command('percept')
    .description('Real-time streaming perception engine for sensor fusion')
    .version(version())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const replay = program
    .command('replay')
    .description('replay a scenario through the engine and print a summary')
    .argument('[file]', 'scenario MCAP file')
    .option('--scenario <name>', 'a bundled scenario (default: "default")')
    .option('--rig <file>', 'rig YAML/JSON to use instead of the one stored in the scenario')
    .option('--rate <r>', 'playback rate (1 = real time)')
    .option('--max', 'as fast as possible (lossless, deterministic)')
    .option('--loop', 'start over at the end')
    .option('--start <s>', 'start offset in seconds')
    .option('--duration <s>', 'seconds of scenario to play')
    .option('--topics <topic...>', 'only these topics')
    .option('--summary <file>', 'write the summary as JSON')
    .option('--quiet', 'no progress bar and no summary table')
    .option('--evaluate', "score the events against the scenario's ground truth (CLEAR MOT; into the summary)");
  addOutputOptions(replay).action(runReplayCommand);

  const run = program
    .command('run')
    .description("run a rig's live sensors through the engine and print a summary")
    .requiredOption('--config <file>', 'rig YAML/JSON whose sensors have live sources')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--summary <file>', 'write the summary as JSON')
    .option('--quiet', 'no status line, link messages or summary table');
  addOutputOptions(run).action(runRunCommand);

  program
    .command('record')
    .description("record the decoded frames of a rig's live sensors as a scenario (replay it with percept replay FILE)")
    .requiredOption('--config <file>', 'rig YAML/JSON whose sensors have live sources')
    .requiredOption('--out <file>', 'output MCAP file')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--quiet', 'no status line or link messages')
    .action(runRecordCommand);

  program
    .command('subscribe')
    .description('connect to a percept WebSocket server and print each message as one JSON line')
    .argument('<url>', 'ws://HOST:PORT or wss://HOST:PORT')
    .option('--topic <topic>', 'events, objects, audio, status or sensor/<sensorId>', 'events')
    .option('--json', 'ask the server for JSON instead of protobuf (the printed lines are the same)')
    .option('--token <token>', 'the server\'s access token')
    .action(runSubscribeCommand);

  const scenario = program.command('scenario').description('make, import and inspect scenarios (MCAP files)');
  scenario
    .command('generate')
    .description('generate a synthetic scenario deterministically from a seed')
    .option('--preset <name>', 'preset', 'nuscenes-like')
    .option('--duration <s>', 'seconds', '20')
    .option('--seed <n>', 'random seed', '1')
    .requiredOption('--out <file>', 'output MCAP file')
    .action(runScenarioGenerate);
  scenario
    .command('import-kitti')
    .description('import KITTI object frames (velodyne, image_2, calib, label_2) as a scenario')
    .argument('<dir>', 'a frame folder or a KITTI training folder')
    .requiredOption('--out <file>', 'output MCAP file')
    .action((dir: string, opts: { out: string }) => runScenarioImport('kitti', dir, opts));
  scenario
    .command('import-nuscenes')
    .description('import a nuScenes sample (6 cameras, LiDAR, calibration, boxes) as a scenario')
    .argument('<dir>', 'folder holding the sample files and its info JSON')
    .requiredOption('--out <file>', 'output MCAP file')
    .action((dir: string, opts: { out: string }) => runScenarioImport('nuscenes', dir, opts));
  scenario
    .command('import-comma2k19')
    .description('import a comma2k19 segment (radar CAN through the Toyota ADAS DBC, u-blox fixes) as a scenario')
    .argument('<dir>', 'a segment folder (it holds processed_log/)')
    .requiredOption('--out <file>', 'output MCAP file')
    .option('--dbc <file>', 'DBC of the radar bus (default: the bundled toyota_adas.dbc)')
    .option('--radar-bus <n>', 'CAN bus of the radar in raw_can/src', '1')
    .action(runScenarioImportComma2k19);
  scenario
    .command('info')
    .description('duration, topics, message counts, rates and schemas of a scenario')
    .argument('<file>', 'scenario MCAP file')
    .action(runScenarioInfo);

  program
    .command('config')
    .description('rig configuration')
    .command('check')
    .description('validate a rig file and summarize it')
    .argument('<file>', 'rig YAML or JSON')
    .action((file: string) => {
      const result = checkRigFile(file);
      if (!result.ok) {
        process.stderr.write(formatConfigProblems(file, result.problems) + '\n');
        process.exitCode = 2;
        return;
      }
      process.stdout.write(result.summary + '\n');
    });

  program
    .command('decode')
    .description('decode a sensor file and print one JSON line per frame (errors and their count on stderr)')
    .argument('<format>', `one of: ${DECODE_FILE_FORMATS.join(', ')}`)
    .argument('<file>', 'the file (a capture, a log, a folder for kitti-oxts)')
    .option('--calibration <file>', 'Velodyne calibration YAML (ROS driver format)')
    .option('--metadata <file>', 'Ouster sensor metadata JSON')
    .option('--dbc <file>', 'CAN database for candump')
    .option('--model <model>', 'Velodyne model: VLP16, VLP32C, HDL32E, HDL64E')
    .option('--port <port>', 'UDP port to take from a capture')
    .option('--full', 'include every point of point clouds')
    .action(runDecodeCommand);

  program
    .command('overlay')
    .description("draw LiDAR points on a camera image, coloured by depth (near = red), and/or a camera detector's boxes, as PNG")
    .option('--points <file>', 'LiDAR sweep (.bin: KITTI x y z i, nuScenes x y z i ring); optional with --detect')
    .requiredOption('--image <file>', 'the camera image (PNG or JPEG)')
    .requiredOption('--out <file>', 'output PNG')
    .option('--calib <file>', 'KITTI calib.txt')
    .option('--info <file>', 'nuScenes info JSON (mmdetection3d) with cam2img and lidar2cam')
    .option('--format <format>', 'kitti or nuscenes (default: nuscenes when --info is given, else kitti)')
    .option('--camera <name>', 'KITTI camera 0..3 (default 2) or nuScenes camera (default CAM_FRONT)')
    .option('--max-depth <m>', 'depth at the blue end of the colour scale, metres', '60')
    .option('--detect [model]', 'also draw a detector\'s boxes: coco (the default) or a detector .onnx, as for percept infer')
    .option('--family <family>', `--detect .onnx output layout: ${INFER_FAMILIES.join(', ')}`)
    .option('--labels <labels>', '--detect class names: coco, or a file with one name per line')
    .action(runOverlayCommand);

  program
    .command('models')
    .description("built-in models and a rig's encoders: inputs, outputs, provider, warm latency")
    .option('--config <file>', "also the rig's encoders")
    .option('--json', 'one JSON object per model')
    .option('--no-latency', 'do not load the models (no provider, shapes or latency)')
    .action(runModelsCommand);

  program
    .command('infer')
    .description('run one model on one file: vad on a WAV (speech segments), coco or a detector .onnx on a JPEG/PNG (detections)')
    .argument('<model>', 'a built-in model (vad, coco) or an .onnx file')
    .argument('<file>', 'WAV for vad, JPEG or PNG for a detector')
    .option('--json', 'one JSON line per segment or detection')
    .option('--family <family>', `detector output layout: ${INFER_FAMILIES.join(', ')}`)
    .option('--labels <labels>', 'class names: coco, or a file with one name per line')
    .option('--score-threshold <p>', 'detections need a score above this (default 0.25; CenterNet 0.2)')
    .option('--iou-threshold <p>', 'NMS IoU threshold (default 0.45)')
    .action(runInferCommand);

  program
    .command('doctor')
    .description('versions, native addon backend, CUDA state, ONNX Runtime providers')
    .action(async () => {
      process.stdout.write(formatDoctorReport(await collectDoctorReport()) + '\n');
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  // A reader that goes away (`percept decode … | head`) is the end of the output, not a failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    // A scenario that cannot be opened at all is the user's to fix, like a missing file.
    if (err instanceof UsageError || err instanceof ScenarioReadError) {
      process.stderr.write(`percept: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`percept: ${(err as Error).message}\n`);
    if (process.env.PERCEPT_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
