import type { Command } from 'commander';
import type { StatusReport } from '../../data/status.ts';
import { LINK_MODES, type LinkMode } from '../../kernel/config.ts';
import { errors } from '../../kernel/errors.ts';
import { formatBytes, plural, table } from '../format.ts';
import { ReportedFailure } from '../reported-failure.ts';
import type { CliSession } from '../session.ts';
import { registerDataShow } from './data-show.ts';
import { registerGc } from './gc.ts';

// Each action imports its operation when it runs, so one command never loads the others' code.
type Json = { json?: boolean };

export function registerDataCommands(program: Command, session: () => CliSession): void {
  program
    .command('add')
    .description(
      'track files or directories: hash them, store their content in the cache, write <path>.cairn pointers',
    )
    .argument('<paths...>', 'files or directories inside the workspace')
    .option('--wait', 'wait for another command holding the workspace instead of failing')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], opts: Json & { wait?: boolean }) => {
      const s = session();
      await s.lock('cairn add', opts.wait);
      const ws = await s.workspace();
      const progress = s.progress(opts.json ?? false);
      const { addPaths } = await import('../../data/add.ts');
      const results = await addPaths(ws.data, s.cwd, paths, progress ? { onProgress: progress } : {});
      if (opts.json) return s.json(results);
      for (const r of results) {
        const what =
          r.type === 'directory' ? `${plural(r.files, 'file')}, ${formatBytes(r.size)}` : formatBytes(r.size);
        s.out(`added ${r.path} (${what}, ${r.hashed} hashed) -> ${r.path}.cairn`);
        if (r.profileError) s.warn(`could not profile ${r.path}: ${r.profileError}`);
      }
      s.out('Commit the pointer files with git, e.g.: git add *.cairn .gitignore');
    });

  program
    .command('status')
    .description('compare tracked paths with their pointers, the cache and the default remote')
    .argument('[paths...]', 'tracked paths (default: all)')
    .option('-r, --remote <name>', 'compare with this remote instead of the default')
    .option('--no-remote', 'do not contact any remote')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], opts: Json & { remote?: string | false }) => {
      const s = session();
      const ws = await s.workspace();
      const progress = s.progress(opts.json ?? false);
      const { statusOf } = await import('../../data/status.ts');
      const report = await statusOf(ws.data, s.cwd, paths, {
        ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
      if (opts.json) return s.json(report);
      printStatus(s, report);
    });

  program
    .command('checkout')
    .description('make tracked paths match their pointers, from the cache')
    .argument('[paths...]', 'tracked paths (default: all)')
    .option('-f, --force', 'overwrite local modifications and remove files the pointer does not list')
    .option('--link <modes>', `link modes to try, comma-separated (${LINK_MODES.join(', ')})`)
    .option('--wait', 'wait for another command holding the workspace instead of failing')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], opts: Json & { force?: boolean; link?: string; wait?: boolean }) => {
      const s = session();
      await s.lock('cairn checkout', opts.wait);
      const ws = await s.workspace();
      const progress = s.progress(opts.json ?? false);
      const { checkoutPaths } = await import('../../data/checkout.ts');
      const results = await checkoutPaths(ws.data, s.cwd, paths, {
        force: opts.force ?? false,
        ...(opts.link ? { linkModes: parseLinkModes(opts.link) } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
      if (opts.json) s.json(results);
      else
        for (const r of results) {
          if (r.outcome === 'checked-out')
            s.out(
              `checked out ${r.path} (${plural(r.written, 'file')} written${r.removed ? `, ${r.removed} removed` : ''})`,
            );
          else if (r.outcome === 'unchanged') s.out(`unchanged   ${r.path}`);
          else s.io.stderr.write(`error: ${r.message}\n`);
        }
      if (results.some((r) => r.outcome !== 'checked-out' && r.outcome !== 'unchanged'))
        throw new ReportedFailure();
    });

  registerGc(program, session);
  registerDataShow(program, session);
}

export function parseLinkModes(text: string): LinkMode[] {
  const modes = text.split(',').map((m) => m.trim());
  const bad = modes.filter((m) => !(LINK_MODES as readonly string[]).includes(m));
  if (bad.length > 0 || modes.length === 0)
    throw errors.invalid(`unknown link mode ${bad.join(', ')}`, { hint: `use ${LINK_MODES.join(', ')}` });
  return modes as LinkMode[];
}

function printStatus(s: CliSession, report: StatusReport): void {
  if (report.paths.length === 0) {
    s.out('No tracked paths. Track data with: cairn add <path>');
    return;
  }
  if (report.remote?.error)
    s.warn(`remote "${report.remote.name}" could not be checked: ${report.remote.error}`);
  const rows = report.paths.map((p) => {
    let detail = p.states.join(', ');
    if (p.changes)
      detail += ` (${p.changes.modified.length} modified, ${p.changes.added.length} added, ${p.changes.removed.length} removed)`;
    return [p.path, detail];
  });
  s.out(table(rows));
  const clean = report.paths.every((p) => p.states.length === 1 && p.states[0] === 'unchanged');
  if (clean)
    s.out(
      report.remote
        ? `Everything is up to date and pushed to "${report.remote.name}".`
        : 'Everything is up to date.',
    );
}
