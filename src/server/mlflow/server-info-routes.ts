import type { RouteModule } from '../create-server.ts';

/**
 * `GET /api/3.0/mlflow/server-info` (and the ajax-api twin): what MLflow 3 clients ask before
 * artifact transfers, to learn whether multipart (presigned) uploads and downloads are on.
 * They are not: clients then upload and download through the artifact proxy.
 */
export const serverInfoRoutes: RouteModule = (app) => {
  const info = {
    store_type: 'SqlStore',
    workspaces_enabled: false,
    trace_archival_enabled: false,
    multipart_uploads_enabled: false,
    multipart_downloads_enabled: false,
    presigned_upload_run_id_supported: false,
    presigned_upload_model_id_supported: false,
    features_enabled: {},
  };
  for (const prefix of ['/api/3.0/mlflow', '/ajax-api/3.0/mlflow'])
    app.get(`${prefix}/server-info`, async () => info);
};
