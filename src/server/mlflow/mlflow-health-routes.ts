import type { RouteModule } from '../create-server.ts';

/**
 * The MLflow release whose REST API the server implements. MLflow clients read it from
 * `GET /version` and compare it with the release that introduced a call before making it.
 */
export const MLFLOW_API_VERSION = '3.17.2';

/**
 * MLflow's own probes beside Cairn's /healthz and /readyz: `GET /health` answers "OK" while the
 * process serves HTTP, `GET /version` the MLflow version as plain text.
 */
export const mlflowHealthRoutes: RouteModule = (app) => {
  app.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  app.get('/version', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(MLFLOW_API_VERSION),
  );
};
