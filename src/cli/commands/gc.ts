import type { Command } from 'commander';
import type { GcOptions, GcReport } from '../../data/gc.ts';
import { CairnError, errors } from '../../kernel/errors.ts';
import { formatBytes, plural } from '../format.ts';
import type { CliSession } from '../session.ts';

interface GcOpts {
  remote?: string | true;
  dryRun?: boolean;
  force?: boolean;
  allCommits?: boolean;
  runCacheMaxAge?: string;
  pruneRunCache?: boolean;
  wait?: boolean;
  json?: boolean;
}

export function registerGc(program: Command, session: () => CliSession): void {
  program
    .command('gc')
    .description(
      'remove cache objects (or, with --remote, remote objects) that nothing references (asks first; -f for scripts)',
    )
    .option(
      '-r, --remote [name]',
      'collect on this remote (default: the default remote) instead of the local cache',
    )
    .option('-n, --dry-run', 'only report what would be removed')
    .option('-f, --force', 'remove without asking for confirmation')
    .option(
      '--all-commits',
      'also keep objects that pointers and cairn.lock outputs in any git commit reference',
    )
    .option(
      '--run-cache-max-age <age>',
      'also remove run-cache entries older than <age> (30d, 12h, 2w; default: keep them all)',
    )
    .option('--prune-run-cache', 'also remove run-cache entries naming objects the cache no longer has')
    .option('--wait', 'wait for another command holding the workspace instead of failing')
    .option('--json', 'print the result as JSON')
    .action(async (opts: GcOpts) => {
      const s = session();
      const maxAge = opts.runCacheMaxAge === undefined ? undefined : parseAge(opts.runCacheMaxAge);
      await s.lock('cairn gc', opts.wait);
      const ws = await s.workspace();
      const options = {
        dryRun: opts.dryRun ?? false,
        allCommits: opts.allCommits ?? false,
        ...(maxAge !== undefined ? { runCacheMaxAgeMs: maxAge } : {}),
        pruneRunCache: opts.pruneRunCache ?? false,
      };
      if (opts.remote !== undefined) return remoteGc(s, opts, options);
      const { planGarbage, removeGarbage } = await import('../../data/gc.ts');
      const plan = await planGarbage(ws.data, options);
      let report = plan.report;
      const warnings = gcWarnings(report, opts.pruneRunCache ?? false);
      if (!report.dryRun && (plan.objects.length > 0 || plan.runCacheEntries.length > 0)) {
        for (const w of warnings.splice(0)) s.warn(w);
        await confirmRemoval(s, opts.force ?? false, 'cairn gc', `${removal(report)} from the cache`);
        report = await removeGarbage(ws.data, plan);
      }
      if (opts.json) s.json(report);
      else
        s.out(
          `${report.dryRun ? 'would remove' : 'removed'} ${removal(report)}; kept ${plural(report.kept, 'object')}`,
        );
      for (const w of warnings) s.warn(w);
    });
}

/** `cairn gc --remote`: the same decisions and questions, on a remote. */
async function remoteGc(s: CliSession, opts: GcOpts, options: GcOptions): Promise<void> {
  const ws = await s.workspace();
  const remote = await ws.data.openRemote(opts.remote === true ? undefined : opts.remote);
  try {
    const { planRemoteGarbage, removeRemoteGarbage } = await import('../../data/remote-gc.ts');
    const plan = await planRemoteGarbage(ws.data, remote, options);
    let report = plan.report;
    const warnings = gcWarnings(report, opts.pruneRunCache ?? false, `remote "${remote.name}"`);
    if (!report.dryRun && (plan.objects.length > 0 || plan.runCacheEntries.length > 0)) {
      for (const w of warnings.splice(0)) s.warn(w);
      await confirmRemoval(
        s,
        opts.force ?? false,
        'cairn gc',
        `${removal(report)} from remote "${remote.name}"`,
      );
      report = await removeRemoteGarbage(ws.data, remote, plan);
    }
    if (opts.json) s.json(report);
    else
      s.out(
        `${report.dryRun ? 'would remove' : 'removed'} ${removal(report)} from remote "${remote.name}"; kept ${plural(report.kept, 'object')}`,
      );
    for (const w of warnings) s.warn(w);
  } finally {
    await remote.store.close?.();
  }
}

/** "3 objects (1.2 MiB) and 1 run-cache entry". */
function removal(report: Pick<GcReport, 'removed' | 'removedBytes' | 'runCache'>): string {
  const entries = report.runCache.removed
    ? ` and ${plural(report.runCache.removed, 'run-cache entry', 'run-cache entries')}`
    : '';
  return `${plural(report.removed, 'object')} (${formatBytes(report.removedBytes)})${entries}`;
}

function gcWarnings(report: GcReport, pruning: boolean, store = 'this cache'): string[] {
  const out = report.unresolved.map(
    (u) => `${u}: its manifest is not in the cache, so the files it lists were not looked at`,
  );
  if (report.runCache.incomplete > 0 && !pruning)
    out.push(
      `${plural(report.runCache.incomplete, 'run-cache entry names', 'run-cache entries name')} objects ${store} lacks${store === 'this cache' ? ' (they restore only from a remote that has them)' : ''}; --prune-run-cache removes them`,
    );
  return out;
}

/**
 * Removing data asks first: on a terminal the user answers, elsewhere `--force` must say so.
 * Declining throws CANCELLED; nothing has been removed at that point.
 */
export async function confirmRemoval(
  s: CliSession,
  force: boolean,
  command: string,
  what: string,
): Promise<void> {
  if (force) return;
  if (!s.interactive)
    throw errors.invalid(`${command} would remove ${what}, and no terminal is attached to confirm it`, {
      hint: 'pass --force (-f) to remove without asking, or --dry-run to see what would go',
    });
  if (!(await s.confirm(`${command} will remove ${what}. Continue?`)))
    throw new CairnError('CANCELLED', `${command} cancelled: nothing was removed`);
}

const AGE_UNITS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30d`, `12h`, `2w`, `90m` in milliseconds; `flag` names the option in the error. */
export function parseAge(text: string, flag = '--run-cache-max-age'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([mhdw])$/.exec(text.trim());
  if (!m)
    throw errors.invalid(`${flag} ${text}: expected a number and a unit (m, h, d or w)`, {
      hint: `for example ${flag} 30d`,
    });
  return Number(m[1]) * (AGE_UNITS[m[2] as string] as number);
}
