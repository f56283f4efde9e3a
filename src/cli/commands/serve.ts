import type { Command } from 'commander';
import type { CliSession } from '../session.ts';
import type { ServeFlags } from './serve-options.ts';

/** `cairn serve`: models over HTTP, with the Open Inference Protocol and MLflow's scoring protocol. */
export function registerServe(program: Command, session: () => CliSession): void {
  program
    .command('serve')
    .description(
      'serve models over HTTP: Open Inference Protocol (KServe V2) and MLflow scoring, with micro-batching and /metrics',
    )
    .argument(
      '[models...]',
      'package directories or models:/<name>/<version>, models:/<name>@<alias>; name one as <route>=<uri>',
    )
    .option(
      '--config <file>',
      'a serving config (YAML or JSON: endpoints, variants, shadows) instead of models',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8080')
    .option('--workers <n>', 'processes answering on the one port', '1')
    .option(
      '--registry <uri>',
      'registry for models:/ URIs: http(s)://server, sqlite:///…, postgresql://… (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then the workspace)',
    )
    .option(
      '--token <token>',
      'bearer token for the registry server (default: CAIRN_TRACKING_TOKEN, MLFLOW_TRACKING_TOKEN)',
    )
    .option('--intra-op-threads <n>', 'ONNX Runtime threads per inference (default 1)')
    .option('--inter-op-threads <n>', 'ONNX Runtime threads across graph branches (default 1)')
    .option(
      '--max-batch-size <rows>',
      'most rows merged into one model call (default 64; 1 turns batching off)',
    )
    .option('--max-wait-us <µs>', 'under load, how long a request may wait for its batch to fill (default 0)')
    .option('--max-queue <n>', 'requests waiting per model version before 503 (default 256)')
    .option('--request-timeout <ms>', 'deadline of a request from its arrival (default 5000)')
    .option(
      '--allow-missing',
      'pass missing values of columns never missing in training to the model instead of 400',
    )
    .option('--max-body-size <size>', 'largest request body, e.g. 8MiB (larger: 413)', '8MiB')
    .option(
      '--prediction-log <where>',
      'prediction log: a directory, s3://bucket/prefix, or off (default: <workspace>/.cairn/predictions, else ~/.cairn/predictions)',
    )
    .option('--log-sample <fraction>', 'fraction of requests written to the prediction log', '1')
    .option(
      '--cache-dir <dir>',
      'where fetched packages are kept (default: <workspace>/.cairn/serving/packages)',
    )
    .option(
      '--admin-token-file <file>',
      'turn on the admin API (/api/v1/serving) with the token in this file (or CAIRN_SERVE_ADMIN_TOKEN)',
    )
    .option('--json', 'print one JSON line when serving (url, pid, endpoints, versions)')
    .action(async (models: string[], flags: ServeFlags) => {
      const { runServe } = await import('./serve-run.ts');
      await runServe(session(), models, flags);
    });
}
