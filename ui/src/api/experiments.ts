import { mlflow } from './http.ts';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time?: number;
  last_update_time?: number;
  tags?: { key: string; value: string }[];
}

export async function searchExperiments(options: {
  nameContains?: string;
  deleted?: boolean;
  pageToken?: string;
}): Promise<{ experiments: Experiment[]; next_page_token?: string }> {
  const filter = options.nameContains
    ? `name ILIKE '%${options.nameContains.replaceAll("'", "\\'")}%'`
    : undefined;
  const body = (await mlflow('experiments/search', {
    method: 'POST',
    body: {
      max_results: 1000,
      view_type: options.deleted ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
      order_by: ['last_update_time DESC'],
      ...(filter ? { filter } : {}),
      ...(options.pageToken ? { page_token: options.pageToken } : {}),
    },
  })) as { experiments?: Experiment[]; next_page_token?: string };
  return {
    experiments: body.experiments ?? [],
    ...(body.next_page_token ? { next_page_token: body.next_page_token } : {}),
  };
}

export async function getExperiment(id: string): Promise<Experiment> {
  const body = (await mlflow('experiments/get', { query: { experiment_id: id } })) as {
    experiment: Experiment;
  };
  return body.experiment;
}

export async function createExperiment(name: string): Promise<string> {
  const body = (await mlflow('experiments/create', { method: 'POST', body: { name } })) as {
    experiment_id: string;
  };
  return body.experiment_id;
}

export async function renameExperiment(id: string, name: string): Promise<void> {
  await mlflow('experiments/update', { method: 'POST', body: { experiment_id: id, new_name: name } });
}

export async function deleteExperiment(id: string): Promise<void> {
  await mlflow('experiments/delete', { method: 'POST', body: { experiment_id: id } });
}

export async function restoreExperiment(id: string): Promise<void> {
  await mlflow('experiments/restore', { method: 'POST', body: { experiment_id: id } });
}
