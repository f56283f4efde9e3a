import type { ProgressEvent, ProgressFn } from '../kernel/progress.ts';
import { formatBytes } from './format.ts';
import type { CliIO } from './io.ts';

const FRAME_MS = 100;

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. Returns undefined when
 * stderr is not a terminal or output is JSON, so scripts and logs never see control characters.
 */
export function progressBar(io: CliIO, enabled: boolean): { report: ProgressFn; finish(): void } | undefined {
  if (!enabled || !io.stderr.isTTY) return undefined;
  let last = 0;
  let drawn = false;
  let pending: ProgressEvent | undefined;
  const draw = (e: ProgressEvent) => {
    const width = Math.max(10, Math.min(40, (io.stderr.columns ?? 80) - 50));
    const ratio = e.total > 0 ? Math.min(1, e.done / e.total) : 0;
    const filled = Math.round(ratio * width);
    const amount =
      e.unit === 'bytes'
        ? `${formatBytes(e.done)} / ${formatBytes(e.total)}`
        : `${e.done} / ${e.total} ${e.unit}`;
    io.stderr.write(
      `\r\x1b[2K${e.phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${amount}`,
    );
    drawn = true;
  };
  return {
    report(e) {
      pending = e;
      const now = Date.now();
      if (now - last >= FRAME_MS || e.done >= e.total) {
        last = now;
        draw(e);
      }
    },
    finish() {
      if (pending && drawn) io.stderr.write('\r\x1b[2K');
    },
  };
}
