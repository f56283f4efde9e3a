import { errors, isCairnError } from '../../kernel/errors.ts';
import type { TrackingStore } from '../tracking-store.ts';
import type { Experiment, Run, SearchRunsOptions } from '../tracking-types.ts';

/** How many characters of a run id the CLI shows, as git shows commit ids. */
export const SHORT_ID = 8;

/** The experiments a listing covers: the one named, or every active experiment. */
export async function experimentsIn(store: TrackingStore, name?: string): Promise<Experiment[]> {
  if (name !== undefined) {
    const found = await store.getExperimentByName(name);
    if (!found) {
      const known = (await allExperiments(store)).map((e) => e.name);
      throw errors.notFound(`no experiment named "${name}"`, {
        hint: known.length > 0 ? `experiments: ${known.join(', ')}` : 'no run has been recorded yet',
      });
    }
    return [found];
  }
  return allExperiments(store);
}

async function allExperiments(store: TrackingStore): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let token: string | undefined;
  do {
    const page = await store.searchExperiments({
      max_results: 1000,
      ...(token ? { page_token: token } : {}),
    });
    out.push(...page.items);
    token = page.next_page_token;
  } while (token);
  return out;
}

/** Every run a search matches, following pages, up to `limit`. */
export async function searchAllRuns(
  store: TrackingStore,
  options: Omit<SearchRunsOptions, 'page_token' | 'max_results'>,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ runs: Run[]; more: boolean }> {
  const runs: Run[] = [];
  let token: string | undefined;
  do {
    const page = await store.searchRuns({
      ...options,
      max_results: Math.min(1000, limit - runs.length),
      ...(token ? { page_token: token } : {}),
    });
    runs.push(...page.items);
    token = page.next_page_token;
  } while (token && runs.length < limit);
  return { runs, more: token !== undefined };
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The run `ref` names: a full run id, a unique prefix of one (at least 4 hex digits), or a run
 * name. NOT_FOUND when nothing matches; INVALID_ARGUMENT, listing the candidates, when several do.
 */
export async function findRun(store: TrackingStore, ref: string, experimentIds: string[]): Promise<Run> {
  const text = ref.trim();
  if (/^[0-9a-f]{32}$/i.test(text)) {
    try {
      return await store.getRun(text.toLowerCase());
    } catch (err) {
      if (!isCairnError(err) || err.code !== 'NOT_FOUND') throw err;
    }
  }
  const found = new Map<string, Run>();
  const search = async (filter: string) => {
    for (const run of (await searchAllRuns(store, { experiment_ids: experimentIds, filter }, 20)).runs)
      found.set(run.info.run_id, run);
  };
  if (/^[0-9a-f]{4,31}$/i.test(text)) await search(`attributes.run_id LIKE '${text.toLowerCase()}%'`);
  await search(`attributes.run_name = ${quote(text)}`);
  const matches = [...found.values()];
  if (matches.length === 1) return matches[0] as Run;
  if (matches.length === 0)
    throw errors.notFound(`no run matches "${ref}"`, {
      hint: 'give a run id, a unique prefix of one, or a run name; `cairn exp list` shows them',
    });
  const shown = matches
    .slice(0, 5)
    .map((r) => `${r.info.run_id.slice(0, SHORT_ID)} (${r.info.run_name})`)
    .join(', ');
  throw errors.invalid(
    `"${ref}" matches ${matches.length} runs: ${shown}${matches.length > 5 ? ', …' : ''}`,
    {
      hint: 'give more characters of the run id',
    },
  );
}

/** The `count` most recent runs, newest first. */
export async function latestRuns(
  store: TrackingStore,
  experimentIds: string[],
  count: number,
): Promise<Run[]> {
  const { runs } = await searchAllRuns(
    store,
    { experiment_ids: experimentIds, order_by: ['attributes.start_time DESC'] },
    count,
  );
  return runs;
}
