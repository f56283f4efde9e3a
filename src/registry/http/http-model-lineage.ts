import { CairnError, isCairnError } from '../../kernel/errors.ts';
import { MlflowHttpClient, type MlflowHttpClientOptions } from '../../tracking/http/mlflow-http-client.ts';
import type { ModelLineage } from '../lineage/model-lineage.ts';

/**
 * A model version's lineage from a Cairn server's own API
 * (`GET /api/v1/models/{name}/versions/{version}/lineage`). An MLflow server has no such endpoint:
 * its 404 comes back as NOT_FOUND with a hint.
 */
export async function fetchModelLineage(
  options: MlflowHttpClientOptions,
  name: string,
  version: string,
  lineageOptions: { verify?: boolean } = {},
): Promise<ModelLineage> {
  const http = new MlflowHttpClient(options);
  const path = `/api/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/lineage`;
  try {
    return await http.get<ModelLineage>(path, lineageOptions.verify ? { verify: true } : {});
  } catch (err) {
    // Cairn answers {code, message}; a server without the endpoint answers a bare 404.
    if (isCairnError(err) && err.code === 'NOT_FOUND' && /answered HTTP 404/.test(err.message))
      throw new CairnError('NOT_FOUND', `${options.uri} has no model lineage API`, {
        cause: err,
        hint: 'lineage needs a Cairn server (cairn server); an MLflow server does not keep it',
      });
    throw err;
  }
}
