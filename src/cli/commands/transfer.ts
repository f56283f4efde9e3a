import type { Command } from 'commander';
import type { DataContext } from '../../data/data-context.ts';
import type { TransferReport } from '../../data/transfer.ts';
import { pushRunCache, type RunCachePushReport } from '../../pipeline/run/run-cache-transfer.ts';
import { formatBytes, plural } from '../format.ts';
import { ReportedFailure } from '../reported-failure.ts';
import type { CliSession } from '../session.ts';

type TransferOpts = { remote?: string; json?: boolean; wait?: boolean };

/** A transfer command with the arguments and options push, fetch and pull share. */
function transferCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .argument('[paths...]', 'tracked paths (default: all)')
    .option('-r, --remote <name>', 'remote to use (default: the default remote)')
    .option('--wait', 'wait for another command holding the workspace instead of failing')
    .option('--json', 'print the result as JSON');
}

export function registerTransfer(program: Command, session: () => CliSession): void {
  transferCommand(program, 'push', 'upload the objects of tracked paths that the remote lacks')
    .option(
      '--verify',
      'also read back and hash the objects the remote has, replacing corrupt ones from the cache',
    )
    .action(async (paths: string[], opts: TransferOpts & { verify?: boolean }) => {
      const s = session();
      await s.lock('cairn push', opts.wait);
      const ws = await s.workspace();
      const progress = s.progress(opts.json ?? false);
      const { pushPaths } = await import('../../data/push.ts');
      const report = await pushPaths(ws.data, s.cwd, paths, {
        ...options(opts, progress),
        verify: opts.verify ?? false,
      });
      // A push of everything also shares the run cache, so other clones can skip those stages.
      const runCache = paths.length === 0 ? await pushRunCacheTo(ws.data, opts.remote) : undefined;
      if (opts.json && runCache) {
        const withRunCache = { ...report, run_cache: runCache };
        return finish(s, withRunCache, 'pushed', true);
      }
      if (runCache && runCache.transferred > 0 && !opts.json)
        s.out(
          `pushed ${plural(runCache.transferred, 'run-cache entry', 'run-cache entries')} (${plural(runCache.objects, 'object')})`,
        );
      if (report.verified !== undefined && !opts.json)
        s.out(
          `verified ${plural(report.verified, 'object')} on "${report.remote}": ${report.corrupt ? `${report.corrupt} corrupt, ${report.repaired ?? 0} replaced from the cache` : 'all intact'}`,
        );
      finish(s, report, 'pushed', opts.json);
    });

  transferCommand(
    program,
    'fetch',
    'download the objects of tracked paths into the cache, without touching the workspace',
  ).action(async (paths: string[], opts: TransferOpts) => {
    const s = session();
    await s.lock('cairn fetch', opts.wait);
    const ws = await s.workspace();
    const progress = s.progress(opts.json ?? false);
    const { fetchPaths } = await import('../../data/transfer.ts');
    const report = await fetchPaths(ws.data, s.cwd, paths, options(opts, progress));
    finish(s, report, 'fetched', opts.json);
  });

  transferCommand(program, 'pull', 'fetch the objects of tracked paths, then check them out')
    .option('-f, --force', 'overwrite local modifications on checkout')
    .action(async (paths: string[], opts: TransferOpts & { force?: boolean }) => {
      const s = session();
      await s.lock('cairn pull', opts.wait);
      const ws = await s.workspace();
      const progress = s.progress(opts.json ?? false);
      const { pullPaths } = await import('../../data/transfer.ts');
      const result = await pullPaths(ws.data, s.cwd, paths, {
        ...options(opts, progress),
        force: opts.force ?? false,
      });
      const failed = result.checkout.filter((c) => c.outcome !== 'checked-out' && c.outcome !== 'unchanged');
      if (opts.json) s.json(result);
      else {
        summary(s, result.fetch, 'fetched');
        const written = result.checkout.reduce((n, c) => n + c.written, 0);
        s.out(`checked out ${plural(written, 'file')}`);
        for (const c of failed) s.io.stderr.write(`error: ${c.message}\n`);
      }
      if (result.fetch.failures.length > 0 || failed.length > 0) throw new ReportedFailure();
    });
}

async function pushRunCacheTo(
  data: DataContext,
  remoteName: string | undefined,
): Promise<RunCachePushReport> {
  const remote = await data.openRemote(remoteName);
  try {
    return await pushRunCache(data, remote);
  } finally {
    await remote.store.close?.();
  }
}

function options(opts: TransferOpts, progress: ReturnType<CliSession['progress']>) {
  return { ...(opts.remote ? { remote: opts.remote } : {}), ...(progress ? { onProgress: progress } : {}) };
}

function summary(s: CliSession, report: TransferReport, verb: string): void {
  s.out(
    `${verb} ${plural(report.transferred, 'object')} (${formatBytes(report.bytes)}) ${verb === 'pushed' ? 'to' : 'from'} "${report.remote}"; ${report.objects - report.transferred - report.failures.length} already there`,
  );
  for (const f of report.failures) s.io.stderr.write(`error: ${f.message}\n`);
}

function finish(s: CliSession, report: TransferReport, verb: string, json?: boolean): void {
  if (json) s.json(report);
  else summary(s, report, verb);
  if (report.failures.length > 0) throw new ReportedFailure();
}
