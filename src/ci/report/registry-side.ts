import { errors } from '../../kernel/errors.ts';
import { parseModelsUri } from '../../registry/registration/version-source.ts';
import type { RegistryStore } from '../../registry/registry-store.ts';
import type { ModelVersion } from '../../registry/registry-types.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import type { Run } from '../../tracking/tracking-types.ts';
import { emptySide, type ReportSide } from './report-side.ts';

/** Where runs can be opened in a browser: the tracking server's URL (MLflow's UI routes). */
export function runUrl(serverUrl: string | undefined, run: Run): string | undefined {
  return serverUrl
    ? `${serverUrl.replace(/\/+$/, '')}/#/experiments/${run.info.experiment_id}/runs/${run.info.run_id}`
    : undefined;
}

/** Fills `side` from a tracked run: params as `cairn run` records them, metrics, dataset inputs, the link. */
export function applyRun(
  side: ReportSide,
  run: Run,
  serverUrl: string | undefined,
  withParams: boolean,
): void {
  for (const m of run.data.metrics) side.runMetrics.set(m.key, m.value);
  if (withParams) for (const p of run.data.params) side.params.set(p.key, p.value);
  const url = runUrl(serverUrl, run);
  side.run = {
    id: run.info.run_id,
    ...(run.info.run_name ? { name: run.info.run_name } : {}),
    ...(url ? { url } : {}),
  };
}

/**
 * The side of a registry version (`--baseline models:/income@champion`): the params, metrics and
 * dataset inputs of the run that produced it.
 */
export async function registrySide(
  uri: string,
  registry: RegistryStore,
  tracking: TrackingStore,
  serverUrl: string | undefined,
): Promise<ReportSide> {
  const ref = parseModelsUri(uri);
  let version: ModelVersion;
  if (ref.kind === 'alias') version = await registry.getModelVersionByAlias(ref.name, ref.alias);
  else if (ref.kind === 'version') version = await registry.getModelVersion(ref.name, ref.version);
  else
    throw errors.invalid(`--baseline ${uri} names no version`, {
      hint: 'write models:/<name>@<alias> (e.g. @champion) or models:/<name>/<version>',
    });
  const side = emptySide(`${uri} (version ${version.version})`);
  if (!version.run_id) {
    side.notes.push(
      `version ${version.version} of ${version.name} names no run: no params or metrics to compare with`,
    );
    return side;
  }
  const run = await tracking.getRun(version.run_id);
  applyRun(side, run, serverUrl, true);
  for (const input of run.inputs.dataset_inputs) {
    const full = input.tags?.find((t) => t.key === 'cairn.hash')?.value;
    side.datasets.set(input.dataset.name, { hash: full ?? `sha256:${input.dataset.digest}` });
  }
  const commit = run.data.tags.find((t) => t.key === 'mlflow.source.git.commit')?.value;
  if (commit) side.commit = commit;
  return side;
}

/** The latest finished run recorded for `commit` in any experiment of `tracking`. */
export async function runOfCommit(tracking: TrackingStore, commit: string): Promise<Run | undefined> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await tracking.searchExperiments({
      max_results: 1000,
      ...(token ? { page_token: token } : {}),
    });
    ids.push(...page.items.map((e) => e.experiment_id));
    token = page.next_page_token;
  } while (token);
  if (ids.length === 0) return undefined;
  const runs = await tracking.searchRuns({
    experiment_ids: ids,
    filter: `tags.\`mlflow.source.git.commit\` = '${commit}' and attributes.status = 'FINISHED'`,
    order_by: ['attributes.start_time DESC'],
    max_results: 1,
  });
  return runs.items[0];
}
