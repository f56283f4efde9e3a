import { cairn, mlflow, toNumber } from './http.ts';

export interface RunTableRow {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  lifecycle_stage: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface RunTablePage {
  total: number;
  offset: number;
  runs: RunTableRow[];
}

export interface RunTableQuery {
  experimentIds: string[];
  filter?: string | undefined;
  orderBy?: string[] | undefined;
  offset: number;
  limit: number;
  columns?: string[] | undefined;
}

/** A window of the runs table (POST /api/v1/runs/search). */
export async function searchRunTable(q: RunTableQuery, signal?: AbortSignal): Promise<RunTablePage> {
  const page = await cairn<RunTablePage>('runs/search', {
    method: 'POST',
    body: {
      experiment_ids: q.experimentIds,
      offset: q.offset,
      limit: q.limit,
      ...(q.filter ? { filter: q.filter } : {}),
      ...(q.orderBy?.length ? { order_by: q.orderBy } : {}),
      ...(q.columns ? { columns: q.columns } : {}),
    },
    ...(signal ? { signal } : {}),
  });
  for (const run of page.runs)
    for (const [key, value] of Object.entries(run.metrics)) run.metrics[key] = toNumber(value);
  return page;
}

export interface RunColumns {
  params: string[];
  metrics: string[];
  tags: string[];
}

export const runColumns = (experimentIds: string[]) =>
  cairn<RunColumns>('runs/columns', { query: { experiment_id: experimentIds } });

export interface Tag {
  key: string;
  value: string;
}

export interface DatasetInput {
  tags?: Tag[];
  dataset: {
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema?: string;
    profile?: string;
  };
}

/** A run as MLflow's runs/get answers it. */
export interface Run {
  info: {
    run_id: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: {
    metrics?: { key: string; value: unknown; step: number; timestamp: number }[];
    params?: Tag[];
    tags?: Tag[];
  };
  inputs?: { dataset_inputs?: DatasetInput[] };
}

export async function getRun(runId: string): Promise<Run> {
  const body = (await mlflow('runs/get', { query: { run_id: runId } })) as { run: Run };
  return body.run;
}

export interface MetricSummary {
  key: string;
  last: number;
  step: number;
  timestamp: number;
  min: number;
  max: number;
  count: number;
}

export async function metricSummaries(runId: string): Promise<MetricSummary[]> {
  const body = await cairn<{ metrics: Record<string, unknown>[] }>(
    `runs/${encodeURIComponent(runId)}/metrics`,
  );
  return body.metrics.map((m) => ({
    key: String(m.key),
    last: toNumber(m.last),
    step: Number(m.step),
    timestamp: Number(m.timestamp),
    min: toNumber(m.min),
    max: toNumber(m.max),
    count: Number(m.count),
  }));
}
