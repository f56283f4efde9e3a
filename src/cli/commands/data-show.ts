import type { Command } from 'commander';
import { table } from '../format.ts';
import type { CliSession } from '../session.ts';

export function registerDataShow(program: Command, session: () => CliSession): void {
  const data = program.command('data').description('inspect tracked data sets');
  data
    .command('show')
    .description('schema and profile of a tracked CSV or Parquet file (rows, nulls, distinct values, ranges)')
    .argument('<path>', 'a tracked CSV / Parquet file, or a file inside a tracked directory')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const s = session();
      const ws = await s.workspace();
      const { showDataProfile } = await import('../../data/show-profile.ts');
      const shown = await showDataProfile(ws.data, s.cwd, path);
      if (opts.json) return s.json(shown);
      const p = shown.profile;
      s.out(`${shown.path}  ${shown.hash}`);
      s.out(
        `${p.format}, ${p.rows} rows, ${p.columns.length} columns${shown.computed ? ' (profiled now)' : ''}`,
      );
      s.out('');
      const fmt = (v: unknown) =>
        v === undefined || v === null ? '' : typeof v === 'number' ? formatNumber(v) : String(v);
      const rows = [['column', 'type', 'nulls', 'distinct', 'min', 'max', 'mean', 'std', 'top values']];
      for (const c of p.columns)
        rows.push([
          c.name,
          c.type,
          String(c.nulls),
          String(c.distinct),
          fmt(c.min),
          fmt(c.max),
          fmt(c.mean),
          fmt(c.std),
          (c.top ?? []).map((t) => `${t.value} (${t.count})`).join(', '),
        ]);
      s.out(table(rows));
    });
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const text = v.toPrecision(6);
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}
