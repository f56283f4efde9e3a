import type { Command } from 'commander';
import { errors } from '../../kernel/errors.ts';
import type { PurgedArtifacts, PurgeReport } from '../../registry/retention/purge-deleted.ts';
import { redact } from '../../store/redact-uri.ts';
import { formatBytes, plural } from '../format.ts';
import type { CliSession } from '../session.ts';
import { locations, s3Settings } from './server-locations.ts';

interface GcFlags {
  olderThan: string;
  store?: string;
  artifacts?: string;
  dryRun?: boolean;
  json?: boolean;
}

const AGE_UNITS = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** `30d`, `2d12h`, `90m`, `0s` (MLflow's `--older-than` syntax, with weeks) → milliseconds. */
export function parseAge(text: string): number {
  const m = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '')
    throw errors.invalid(`--older-than ${JSON.stringify(text)} is not an age`, {
      hint: 'write it like 30d, 12h, 2d12h or 90m (w, d, h, m, s); 0s means every deleted run and experiment',
    });
  const [, w, d, h, min, sec] = m;
  return (
    Number(w ?? 0) * AGE_UNITS.w +
    Number(d ?? 0) * AGE_UNITS.d +
    Number(h ?? 0) * AGE_UNITS.h +
    Number(min ?? 0) * AGE_UNITS.m +
    Number(sec ?? 0) * AGE_UNITS.s
  );
}

/** `cairn server gc`: MLflow's `mlflow gc` for the server's stores. */
export function registerServerGc(server: Command, session: () => CliSession): void {
  server
    .command('gc')
    .description(
      'permanently remove runs and experiments deleted long enough ago, with their artifacts (never anything a model version uses)',
    )
    .requiredOption('--older-than <age>', 'only what was deleted at least this long ago, e.g. 30d, 12h, 0s')
    .option('--store <uri>', "metadata store (default: the workspace's, else ~/.cairn/cairn.db)")
    .option(
      '--artifacts <uri>',
      'artifact root (default: <workspace>/.cairn/artifacts, else ~/.cairn/artifacts)',
    )
    .option('--dry-run', 'say what would be removed, and remove nothing')
    .option('--json', 'print the report as JSON')
    // `cairn server` has --store and --artifacts too, and takes them when they follow `gc`.
    .action(async (_flags: GcFlags, command: Command) => gc(session(), command.optsWithGlobals<GcFlags>()));
}

async function gc(s: CliSession, flags: GcFlags): Promise<void> {
  const olderThanMs = parseAge(flags.olderThan);
  const { storeUri, artifactsUri } = await locations(s, flags);
  const [{ openServerBackends }, { purgeDeleted }, { ArtifactRoot }] = await Promise.all([
    import('../../server/server-wiring.ts'),
    import('../../registry/retention/purge-deleted.ts'),
    import('../../tracking/artifacts/artifact-root.ts'),
  ]);
  const backends = await openServerBackends({ storeUri, artifactsUri, s3: s3Settings(s.io.env), log: s.log });
  try {
    const { deps } = backends;
    const progress = s.progress(flags.json ?? false);
    const report = await purgeDeleted(
      {
        metadata: deps.metadata,
        tracking: deps.tracking,
        registry: deps.registry,
        loggedModels: deps.loggedModels as NonNullable<typeof deps.loggedModels>,
        artifacts: deps.artifacts,
        root: new ArtifactRoot(artifactsUri),
      },
      {
        olderThanMs,
        ...(flags.dryRun ? { dryRun: true } : {}),
        ...(progress ? { onProgress: progress } : {}),
      },
    );
    if (flags.json)
      s.out(JSON.stringify({ store: redact(storeUri), artifacts: artifactsUri, ...report }, null, 2));
    else s.out(describe(report));
  } finally {
    await backends.close();
  }
}

function describe(r: PurgeReport): string {
  const verb = r.dry_run ? 'Would remove' : 'Removed';
  const when = new Date(r.cutoff).toISOString().replace('T', ' ').slice(0, 16);
  const lines: string[] = [];
  if (r.runs.length === 0 && r.experiments.length === 0)
    lines.push(
      `Nothing to remove: no run or experiment deleted before ${when} UTC that is not still needed.`,
    );
  else
    lines.push(
      `${verb} ${plural(r.experiments.length, 'experiment')} and ${plural(r.runs.length, 'run')} deleted before ${when} UTC, with ${plural(r.files, 'artifact file')} (${formatBytes(r.bytes)}).`,
    );
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  for (const e of r.experiments)
    lines.push(
      `  experiment ${e.experiment_id} "${e.name}" (deleted ${day(e.deleted_time)}): ${plural(e.runs, 'run')}, ${plural(e.logged_models, 'logged model')}${artifacts(e.artifacts)}`,
    );
  for (const run of r.runs)
    lines.push(
      `  run ${run.run_id} in experiment ${run.experiment_id} (deleted ${day(run.deleted_time)})${artifacts(run.artifacts)}`,
    );
  for (const k of r.kept) lines.push(`Kept ${k.kind} ${k.id}: ${k.reason}`);
  if (r.resumed.length > 0)
    lines.push(
      `Finished deleting the artifacts of ${plural(r.resumed.length, 'location')} an interrupted gc had removed the records of.`,
    );
  return lines.join('\n');
}

function artifacts(list: PurgedArtifacts[]): string {
  const parts = list.map((a) =>
    a.in_store
      ? `${plural(a.files, 'file')}, ${formatBytes(a.bytes)}`
      : `files at ${a.uri} left in place (outside the artifact root)`,
  );
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}
