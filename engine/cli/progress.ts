import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; silent otherwise, so logs and pipes stay clean. */
export function createProgress(title: string, unit: string, enabled = true): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${title} [{bar}] {percentage}% | {value}/{total} ${unit} | {label}`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label = '') {
      const value = Math.round(done * 10) / 10;
      if (!started) {
        bar.start(Math.round(total * 10) / 10, value, { label });
        started = true;
      } else {
        bar.setTotal(Math.round(total * 10) / 10);
        bar.update(value, { label });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
