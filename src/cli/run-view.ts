import type { RunEvent, StageStateName } from '../pipeline/run/run-events.ts';
import { formatDuration } from './format.ts';
import type { CliIO } from './io.ts';

const FRAME_MS = 100;
const LIVE_OUTPUT_LINES = 2;

export interface RunView {
  onEvent(event: RunEvent): void;
  /** A message between updates (e.g. "stopping…"). */
  note(text: string): void;
  /** Draws the final state and stops redrawing. */
  finish(): void;
}

/**
 * Renders `cairn run` progress. On a terminal (and without --json): a live table of stages
 * redrawn at most ten times a second, with each running stage's last output lines. Otherwise
 * plain lines, `[stage] output line` and one line per state change, to stdout (stderr with
 * --json, so stdout carries only the JSON summary).
 */
export function createRunView(io: CliIO, options: { json: boolean }): RunView {
  if (!options.json && io.stdout.isTTY) return liveView(io);
  return plainView(options.json ? io.stderr : io.stdout, io.stderr);
}

const LABEL: Record<StageStateName, string> = {
  waiting: 'waiting',
  checking: 'checking',
  running: 'running',
  skipped: 'skipped',
  restored: 'restored',
  done: 'done',
  failed: 'failed',
  'not-run': 'not run',
  killed: 'stopped',
};

/** One line for a state change, e.g. `[train] running: dep data/prepared changed`. */
export function stateLine(e: Extract<RunEvent, { type: 'stage' }>): string | undefined {
  const took = e.durationMs !== undefined ? ` in ${formatDuration(e.durationMs)}` : '';
  const why = e.reasons.length > 0 ? `: ${e.reasons.join('; ')}` : '';
  switch (e.state) {
    case 'waiting':
    case 'checking':
      return undefined;
    case 'running':
      return `[${e.stage}] running${why}`;
    case 'skipped':
      return `[${e.stage}] skipped (up to date)`;
    case 'restored':
      return `[${e.stage}] restored from run cache${took}${why.replace('; restored from run cache', '')}`;
    case 'done':
      return `[${e.stage}] done${took}`;
    case 'failed':
      return `[${e.stage}] failed${took}: ${e.error ?? 'unknown error'}`;
    case 'not-run':
      return `[${e.stage}] not run${why}`;
    case 'killed':
      return `[${e.stage}] stopped${took}`;
  }
}

function plainView(out: NodeJS.WritableStream, err: NodeJS.WritableStream): RunView {
  return {
    onEvent(e) {
      if (e.type === 'output') out.write(`[${e.stage}] ${e.line}\n`);
      else if (e.type === 'warning') err.write(`warning: ${e.message}\n`);
      else if (e.type === 'started') out.write(`run ${e.runId}: ${e.stages.length} stage(s)\n`);
      else {
        const line = stateLine(e);
        if (line) out.write(`${line}\n`);
      }
    },
    note(text) {
      err.write(`${text}\n`);
    },
    finish() {},
  };
}

interface LiveStage {
  state: StageStateName;
  since: number;
  durationMs?: number;
  detail: string;
  output: string[];
}

function liveView(io: CliIO): RunView {
  const out = io.stdout;
  const stages = new Map<string, LiveStage>();
  let drawnLines = 0;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;

  const render = (final: boolean): string[] => {
    const width = Math.max(20, ((io.stdout as { columns?: number }).columns || 80) - 1);
    const nameWidth = Math.min(30, Math.max(...[...stages.keys()].map((n) => n.length), 5));
    const lines: string[] = [];
    for (const [name, s] of stages) {
      const elapsed =
        s.durationMs !== undefined
          ? s.durationMs
          : s.state === 'running' || s.state === 'checking'
            ? Date.now() - s.since
            : undefined;
      const time = elapsed !== undefined ? formatDuration(elapsed) : '';
      lines.push(
        clip(
          `${ICON[s.state]} ${name.padEnd(nameWidth)}  ${LABEL[s.state].padEnd(8)} ${time.padStart(8)}  ${s.detail}`,
          width,
        ),
      );
      if (s.state === 'running' && !final) for (const l of s.output) lines.push(clip(`    │ ${l}`, width));
    }
    return lines;
  };
  const draw = (final = false) => {
    dirty = false;
    const lines = render(final);
    out.write(`${drawnLines > 0 ? `\x1b[${drawnLines}A` : ''}\r\x1b[0J${lines.join('\n')}\n`);
    drawnLines = lines.length;
  };
  const schedule = () => {
    dirty = true;
    timer ??= setInterval(() => {
      if (dirty || [...stages.values()].some((s) => s.state === 'running')) draw();
    }, FRAME_MS);
  };
  /** Prints text above the live table, which is then drawn again below it. */
  const above = (text: string) => {
    out.write(`${drawnLines > 0 ? `\x1b[${drawnLines}A` : ''}\r\x1b[0J${text}\n`);
    drawnLines = 0;
    draw();
  };

  return {
    onEvent(e) {
      if (e.type === 'started') {
        for (const name of e.stages)
          stages.set(name, { state: 'waiting', since: Date.now(), detail: '', output: [] });
        above(`run ${e.runId}`);
      } else if (e.type === 'warning') above(`warning: ${e.message}`);
      else if (e.type === 'output') {
        const s = stages.get(e.stage);
        if (!s || e.line.trim() === '') return;
        s.output.push(e.line);
        if (s.output.length > LIVE_OUTPUT_LINES) s.output.shift();
        schedule();
      } else {
        const s = stages.get(e.stage) ?? { state: e.state, since: Date.now(), detail: '', output: [] };
        if (s.state !== e.state) s.since = Date.now();
        s.state = e.state;
        if (e.durationMs !== undefined && e.state !== 'not-run') s.durationMs = e.durationMs;
        s.detail =
          e.state === 'failed'
            ? (e.error ?? '')
            : e.state === 'skipped'
              ? 'up to date'
              : e.reasons.join('; ');
        stages.set(e.stage, s);
        schedule();
      }
    },
    note(text) {
      above(text);
    },
    finish() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (stages.size > 0) draw(true);
    },
  };
}

const ICON: Record<StageStateName, string> = {
  waiting: '·',
  checking: '…',
  running: '▶',
  skipped: '=',
  restored: '↺',
  done: '✓',
  failed: '✗',
  'not-run': '-',
  killed: '■',
};

function clip(line: string, width: number): string {
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}
