import { isAbsolute, resolve } from 'node:path';
import { type CairnConfig, loadConfig } from '../kernel/config.ts';
import { type Logger, silentLogger } from '../kernel/logging.ts';
import type { ProgressFn } from '../kernel/progress.ts';
import type { Workspace } from '../workspace/open-workspace.ts';
import { lockWorkspace, type WorkspaceLock } from '../workspace/workspace-lock.ts';
import { findWorkspaceRoot } from '../workspace/workspace-root.ts';
import type { CliIO } from './io.ts';
import { progressBar } from './progress-bar.ts';

export interface GlobalOptions {
  verbose?: boolean;
  cwd?: string;
}

/**
 * One CLI invocation: where it runs, how it prints, and the workspace it opened (lazily, once,
 * closed when the command ends).
 */
export class CliSession {
  readonly io: CliIO;
  readonly cwd: string;
  log: Logger = silentLogger;
  readonly verbose: boolean;
  #workspace: Promise<Workspace> | undefined;
  #config: Promise<{ root: string; config: Readonly<CairnConfig> }> | undefined;
  #locks: WorkspaceLock[] = [];
  #bars: { finish(): void }[] = [];

  constructor(io: CliIO, globals: GlobalOptions) {
    this.io = io;
    this.cwd = globals.cwd ? (isAbsolute(globals.cwd) ? globals.cwd : resolve(io.cwd, globals.cwd)) : io.cwd;
    this.verbose = globals.verbose ?? false;
  }

  /** Switches on debug logs to stderr (loads pino only then). */
  async startLogging(): Promise<void> {
    if (!this.verbose) return;
    const { createLogger } = await import('../kernel/pino-logger.ts');
    this.log = createLogger({ level: 'debug', destination: this.io.stderr });
  }

  /** The workspace root and its configuration, without opening any store. */
  config(): Promise<{ root: string; config: Readonly<CairnConfig> }> {
    this.#config ??= (async () => {
      const root = findWorkspaceRoot(this.cwd);
      return { root, config: await loadConfig({ root, env: this.io.env }) };
    })();
    return this.#config;
  }

  workspace(): Promise<Workspace> {
    this.#workspace ??= this.startLogging()
      .then(() => this.config())
      .then(async ({ root, config }) => {
        const { openWorkspace } = await import('../workspace/open-workspace.ts');
        return openWorkspace(root, config, { log: this.log });
      });
    return this.#workspace;
  }

  /** Takes the workspace lock for a command that changes the workspace. */
  async lock(purpose: string, wait = false): Promise<void> {
    const { root } = await this.config();
    this.#locks.push(await lockWorkspace(root, { purpose, wait }));
  }

  /** A progress reporter for long work, or undefined when progress is not shown. */
  progress(json: boolean): ProgressFn | undefined {
    const bar = progressBar(this.io, !json);
    if (!bar) return undefined;
    this.#bars.push(bar);
    return bar.report;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** True when a person at a terminal can be asked a question. */
  get interactive(): boolean {
    return this.io.stdin?.isTTY === true;
  }

  /**
   * Asks a yes/no question on the terminal (stderr, so --json output stays clean); true only for
   * an answer starting with "y". Call only when `interactive`.
   */
  async confirm(question: string): Promise<boolean> {
    const stdin = this.io.stdin;
    if (!stdin) return false;
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: stdin, output: this.io.stderr, terminal: false });
    try {
      const answer = await new Promise<string>((resolve) => {
        rl.once('close', () => resolve(''));
        void rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
      });
      return /^\s*y/i.test(answer);
    } finally {
      rl.close();
    }
  }

  warn(text: string): void {
    this.io.stderr.write(`warning: ${text}\n`);
  }

  async close(): Promise<void> {
    for (const bar of this.#bars) bar.finish();
    for (const lock of this.#locks.splice(0)) lock.release();
    if (this.#workspace) await (await this.#workspace.catch(() => undefined))?.close();
  }
}
