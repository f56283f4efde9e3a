import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { errors, fromSystemError, isCairnError } from '../../kernel/errors.ts';
import type { ModelPackage } from '../../ml/package/package-types.ts';
import { readModelPackage } from '../../ml/package/read-package.ts';
import { hashModelPackage, type PackageFiles } from '../../registry/lineage/package-hash.ts';
import { localArtifactLocator } from '../../registry/registration/local-artifact-locator.ts';
import type { ModelVersion } from '../../registry/registry-types.ts';
import { isModelUri, withModelSource } from '../model-source.ts';
import { type OpenedRegistry, type TargetOpts, withRegistry } from '../registry-target.ts';
import type { CliSession } from '../session.ts';

interface RegisterOpts extends TargetOpts {
  name: string;
  description?: string;
  experiment?: string;
}

/** Where a registered package sits among a run's artifacts. */
const ARTIFACT_PATH = 'model';

/**
 * `cairn models register <dir|runs:/…> --name <model>`: a registry version from a model package.
 * A directory is logged to a run first — the run it was trained in, when that run already holds
 * these exact files, else a new run carrying the package's lineage — so the version's source is
 * always `runs:/<run>/model` and its package hash covers every file.
 */
export function registerModelsRegister(
  models: Command,
  target: (c: Command) => Command,
  session: () => CliSession,
): void {
  target(
    models
      .command('register')
      .description('register a model package (a directory or runs:/…) as a new version'),
  )
    .argument('<package>', 'a package directory, or runs:/<run id>/<path>')
    .requiredOption('--name <model>', 'the registered model (created if it does not exist)')
    .option('--description <text>', "the version's description")
    .option(
      '--experiment <name>',
      'experiment of the run a directory is logged to (default: the workspace name)',
    )
    .option('--json', 'print the version as JSON')
    .action(async (ref: string, opts: RegisterOpts) => {
      const s = session();
      if (ref.startsWith('models:/'))
        throw errors.invalid(`${ref} is a registered version already`, {
          hint: 'register a package directory or runs:/<run id>/<path>',
        });
      const result = await withRegistry(s, opts, (opened) =>
        isModelUri(ref) ? registerRunSource(s, opened, ref, opts) : registerDirectory(s, opened, ref, opts),
      );
      if (opts.json) return s.json(result);
      const hash = result.tags.find((t) => t.key === 'cairn.package_hash')?.value;
      s.out(`registered ${result.name} version ${result.version} from ${result.source}`);
      if (hash) s.out(`  package ${hash}`);
    });
}

async function registerRunSource(
  s: CliSession,
  opened: OpenedRegistry,
  ref: string,
  opts: RegisterOpts,
): Promise<ModelVersion> {
  // Check that the files are a readable package before the version points at them.
  await withModelSource(s, ref, opts, (source) => readModelPackage(source.dir));
  const runId = (/^runs:\/([^/]+)/.exec(ref) as RegExpExecArray)[1] as string;
  return createVersion(opened, opts, ref, runId);
}

async function registerDirectory(
  s: CliSession,
  opened: OpenedRegistry,
  ref: string,
  opts: RegisterOpts,
): Promise<ModelVersion> {
  const dir = resolve(s.cwd, ref);
  const pkg = await readModelPackage(dir);
  const hash = await hashModelPackage(localArtifactLocator(dir) as PackageFiles);
  const reused = await trainingRunHolding(opened, pkg, hash?.digest);
  if (reused) return createVersion(opened, opts, `runs:/${reused}/${ARTIFACT_PATH}`, reused);
  const { Tracking } = await import('../../sdk/tracking.ts');
  const tracking = await Tracking.connect({ ...opened.connect, env: s.io.env, cwd: s.cwd });
  let runId: string | undefined;
  try {
    const run = await tracking.startRun({
      ...(opts.experiment ? { experiment: opts.experiment } : {}),
      runName: `register ${opts.name}`,
      tags: { 'cairn.registered_from': dir },
    });
    runId = run.run_id;
    const { lineage } = pkg.cairn;
    if (lineage.git_commit) await tracking.setTag('mlflow.source.git.commit', lineage.git_commit);
    if (lineage.run_id) await tracking.setTag('cairn.package.run_id', lineage.run_id);
    for (const d of lineage.datasets)
      if (d.digest)
        await tracking.logInput({
          name: d.name,
          digest: d.digest,
          source: d.name,
          ...(d.context ? { context: d.context } : {}),
          tags: { 'cairn.hash': d.digest },
        });
    for (const file of (await readdir(dir)).sort()) {
      const path = join(dir, file);
      if ((await stat(path).catch((err: unknown) => Promise.reject(fromSystemError(err, path)))).isFile())
        await tracking.logArtifact(path, ARTIFACT_PATH);
    }
    await tracking.endRun('FINISHED');
    return await createVersion(opened, opts, `runs:/${runId}/${ARTIFACT_PATH}`, runId);
  } catch (err) {
    // Nothing half-made stays behind: the run made for this registration goes too.
    if (runId) await tracking.store.deleteRun(runId).catch(() => undefined);
    throw err;
  } finally {
    await tracking.close();
  }
}

/** The run the package was trained in, when its `model` artifacts are these very files (same hash). */
async function trainingRunHolding(
  opened: OpenedRegistry,
  pkg: ModelPackage,
  digest: string | undefined,
): Promise<string | undefined> {
  const runId = pkg.cairn.lineage.run_id;
  if (!runId || !digest) return undefined;
  try {
    const run = await opened.tracking.getRun(runId);
    if (run.info.lifecycle_stage !== 'active') return undefined;
    const files = localArtifactLocator(`${run.info.artifact_uri.replace(/\/+$/, '')}/${ARTIFACT_PATH}`);
    const logged = files && (await hashModelPackage(files));
    return logged?.digest === digest ? runId : undefined;
  } catch (err) {
    if (isCairnError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

async function createVersion(
  opened: OpenedRegistry,
  opts: RegisterOpts,
  source: string,
  runId: string,
): Promise<ModelVersion> {
  let createdModel = false;
  try {
    await opened.registry.getRegisteredModel(opts.name);
  } catch (err) {
    if (!isCairnError(err) || err.code !== 'NOT_FOUND') throw err;
    await opened.registry.createRegisteredModel(opts.name);
    createdModel = true;
  }
  try {
    return await opened.createVersion({
      name: opts.name,
      source,
      run_id: runId,
      ...(opts.description ? { description: opts.description } : {}),
    });
  } catch (err) {
    if (createdModel) await opened.registry.deleteRegisteredModel(opts.name).catch(() => undefined);
    throw err;
  }
}
