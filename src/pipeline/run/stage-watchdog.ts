import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * The watchdog's program, for `sh`. It reads `+<pgid>` and `-<pgid>` lines on stdin and keeps the
 * set of process groups it was told about. When stdin ends — `cairn run` closed it, or died and the
 * kernel closed it — it sends SIGTERM to every group still in the set, waits the grace period and
 * sends SIGKILL to what is left. `$1` is the grace period in whole seconds.
 */
const WATCHDOG_SCRIPT = `
groups=
while IFS= read -r line; do
  case $line in
    +*) groups="$groups \${line#?}" ;;
    -*) id=\${line#?}; rest=
        for g in $groups; do [ "$g" = "$id" ] || rest="$rest $g"; done
        groups=$rest ;;
  esac
done
[ -n "$groups" ] || exit 0
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
sleep "$1"
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
`;

/**
 * Makes a stage's first process wait until its parent says go, so that it never runs before the
 * watchdog knows its group: `cairn run` killed between the spawn and the registration leaves a
 * process that reads end-of-file, exits, and ran nothing. `$1` is the stage's command.
 */
export const GATED_COMMAND_SCRIPT = 'IFS= read -r go && exec sh -c "$1"';

/**
 * Ends a `cairn run`'s stage processes when `cairn run` itself dies, however it dies.
 *
 * SIGINT and SIGTERM are handled inside `cairn run`, which stops its stages. SIGKILL (and a crash
 * of the runtime) cannot be handled by the dying process, and Node has no PR_SET_PDEATHSIG, so a
 * second process does it: one small `sh` per run, started with its stdin a pipe from `cairn run`.
 * A pipe's write end closes when its only holder dies, whatever killed it, so the watchdog reads
 * end-of-file and kills the process groups of the stages still running. One watchdog per run
 * (rather than a supervisor process per stage) costs one `sh` (a few hundred kilobytes) whatever
 * the number of stages, adds no process between a stage and `cairn run` (its output and exit status
 * flow as before), and `sh` is there wherever stages run, since they run under `sh -c`.
 *
 * A stage whose process leaves its process group (setsid, a daemon) is out of reach, as it is for
 * SIGTERM today.
 */
export class StageWatchdog {
  readonly #graceSeconds: number;
  #child: ChildProcess | undefined;
  #stdin: Writable | undefined;
  #closed = false;

  constructor(options: { killGraceMs?: number } = {}) {
    this.#graceSeconds = Math.max(1, Math.ceil((options.killGraceMs ?? 3000) / 1000));
  }

  /**
   * Puts a process group under watch; resolves once the line is in the pipe (the kernel holds it
   * even if `cairn run` dies the next instant). A watchdog that could not start or has died does
   * not stop stages from running: they are then only as safe as before.
   */
  async guard(pgid: number): Promise<void> {
    await this.#send(`+${pgid}\n`);
  }

  /** Takes a group off the watch list (its process ended). */
  release(pgid: number): void {
    void this.#send(`-${pgid}\n`);
  }

  /** Ends the watchdog: it exits, killing no group it was not still watching. */
  close(): void {
    this.#closed = true;
    this.#stdin?.end();
  }

  #send(line: string): Promise<void> {
    const stdin = this.#start();
    if (!stdin || stdin.destroyed || stdin.writableEnded) return Promise.resolve();
    return new Promise((resolve) => stdin.write(line, () => resolve()));
  }

  #start(): Writable | undefined {
    if (this.#closed) return undefined;
    if (this.#child) return this.#stdin;
    // Its own session: Ctrl-C at the terminal reaches `cairn run` (which stops the stages
    // itself) but not the watchdog.
    const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'cairn-watchdog', String(this.#graceSeconds)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => {
      this.#stdin = undefined;
    });
    child.stdin?.on('error', () => undefined);
    child.unref();
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    this.#child = child;
    this.#stdin = child.stdin ?? undefined;
    return this.#stdin;
  }
}
