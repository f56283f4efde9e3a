import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ERROR_CODES, isCairnError } from '../kernel/errors.ts';
import { type CliIO, processIO } from './io.ts';
import { ReportedFailure } from './reported-failure.ts';
import { CliSession, type GlobalOptions } from './session.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

type Register = (program: Command, session: () => CliSession) => void;

/**
 * Each top-level command and the module that defines it. Only the module of the command being
 * run is loaded (all of them for help or an unknown command): startup time is part of every
 * command's latency.
 */
const COMMAND_MODULES: { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['init'], load: async () => (await import('./commands/init.ts')).registerInit },
  {
    names: ['add', 'status', 'checkout', 'gc', 'data'],
    load: async () => (await import('./commands/data-commands.ts')).registerDataCommands,
  },
  { names: ['remote'], load: async () => (await import('./commands/remote.ts')).registerRemote },
  {
    names: ['push', 'fetch', 'pull'],
    load: async () => (await import('./commands/transfer.ts')).registerTransfer,
  },
  { names: ['token', 'user'], load: async () => (await import('./commands/token.ts')).registerToken },
  {
    names: ['dag', 'schema'],
    load: async () => (await import('./commands/pipeline-definition.ts')).registerPipelineDefinition,
  },
  { names: ['run'], load: async () => (await import('./commands/run.ts')).registerRun },
  { names: ['worker'], load: async () => (await import('./commands/worker.ts')).registerWorker },
  { names: ['models'], load: async () => (await import('./commands/models.ts')).registerModels },
  { names: ['train'], load: async () => (await import('./commands/train.ts')).registerTrain },
  { names: ['model'], load: async () => (await import('./commands/model.ts')).registerModel },
  { names: ['server'], load: async () => (await import('./commands/server.ts')).registerServer },
  { names: ['exp'], load: async () => (await import('./commands/exp.ts')).registerExp },
  {
    names: ['metrics', 'params', 'plots'],
    load: async () => (await import('./commands/metrics-params-plots.ts')).registerMetricsParamsPlots,
  },
];

/** The command word in `argv`: the first argument that is not a global option or its value. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-C' || a === '--cwd') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export function cairnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Builds the `cairn` command tree for `argv`; `session()` gives each action its invocation
 * context. Pass no argv to get every command (for help and documentation).
 */
export async function buildProgram(
  io: CliIO,
  sessions: CliSession[],
  argv?: readonly string[],
): Promise<Command> {
  const program = new Command('cairn')
    .description(
      'Cairn: version data and models, run pipelines, track experiments, serve and monitor models.',
    )
    .version(cairnVersion(), '-V, --version')
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .option('-v, --verbose', 'log what happens (JSON lines on stderr) and show stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  const session = (): CliSession => {
    const s = new CliSession(io, program.opts<GlobalOptions>());
    sessions.push(s);
    return s;
  };
  const word = argv ? commandWord(argv) : undefined;
  const versionOnly =
    word === undefined && argv !== undefined && (argv.includes('-V') || argv.includes('--version'));
  const wanted = COMMAND_MODULES.filter((m) => word !== undefined && m.names.includes(word));
  if (!versionOnly)
    for (const m of wanted.length > 0 ? wanted : COMMAND_MODULES) (await m.load())(program, session);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const sessions: CliSession[] = [];
  const program = await buildProgram(io, sessions, argv);
  let code: number = EXIT.ok;
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    code = reportError(err, io, argv.includes('--verbose') || argv.includes('-v'));
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
  }
  return code;
}

function reportError(err: unknown, io: CliIO, verbose: boolean): number {
  if ((err as { code?: unknown })?.code === new ReportedFailure().code) return EXIT.failure;
  if (err instanceof CommanderError) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    )
      return EXIT.ok;
    return EXIT.usage;
  }
  if (isCairnError(err)) {
    io.stderr.write(`error: ${err.message}${err.hint ? ` — ${err.hint}` : ''}\n`);
    if (verbose && err.cause) io.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    return ERROR_CODES[err.code].exit;
  }
  io.stderr.write(
    `error: internal error: ${(err as Error)?.message ?? String(err)}${verbose ? '' : ' — run again with --verbose for details, and please report it'}\n`,
  );
  if (verbose) io.stderr.write(`${(err as Error)?.stack}\n`);
  return EXIT.failure;
}

/** The process entry used by bin/cairn.js. */
export async function run(): Promise<void> {
  // A reader that stops early (`cairn … | head`) closes the pipe: stop quietly, as `git log | head`
  // does, instead of dying on an unhandled EPIPE.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  process.exitCode = await main(process.argv.slice(2));
}
