import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CairnConfig, splitList, WORKSPACE_DIR } from '../../kernel/config.ts';
import { isCairnError } from '../../kernel/errors.ts';
import type { CliSession } from '../session.ts';

/** Where `cairn server` and `cairn server gc` find their stores, and the server's settings. */

export type ServerSettings = CairnConfig['server'];

/** --store and --artifacts, or the workspace's, or ~/.cairn's; and the `server.*` settings. */
export async function locations(
  s: CliSession,
  flags: { store?: string | undefined; artifacts?: string | undefined },
): Promise<{ storeUri: string; artifactsUri: string; settings: ServerSettings }> {
  let workspace: { root: string; uri: string; settings: ServerSettings } | undefined;
  try {
    const { root, config } = await s.config();
    workspace = { root, uri: config.metadata.uri, settings: config.server };
  } catch (err) {
    if (!(isCairnError(err) && err.code === 'FAILED_PRECONDITION')) throw err;
  }
  // Outside a workspace only the environment can give the settings.
  const settings = workspace?.settings ?? {
    enforce_gates: /^(1|true|yes)$/i.test(s.io.env.CAIRN_SERVER_ENFORCE_GATES ?? ''),
    allowed_hosts: splitList(s.io.env.CAIRN_SERVER_ALLOWED_HOSTS ?? ''),
    cors_origins: splitList(s.io.env.CAIRN_SERVER_CORS_ORIGINS ?? ''),
  };
  const home = join(homedir(), '.cairn');
  if (!workspace && (flags.store === undefined || flags.artifacts === undefined))
    await mkdir(home, { recursive: true });
  const storeUri = flags.store ?? workspace?.uri ?? `sqlite://${join(home, 'cairn.db')}`;
  // A plain directory may be given relative to where the command runs.
  const given =
    flags.artifacts !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(flags.artifacts)
      ? pathToFileURL(resolve(s.cwd, flags.artifacts)).href
      : flags.artifacts;
  const artifactsUri =
    given ??
    pathToFileURL(workspace ? join(workspace.root, WORKSPACE_DIR, 'artifacts') : join(home, 'artifacts'))
      .href;
  return { storeUri, artifactsUri, settings };
}

/** S3 settings for an s3:// artifact root: CAIRN_S3_* first, then the AWS (and MLflow) variables. */
export function s3Settings(env: NodeJS.ProcessEnv) {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const endpoint = pick(
    'CAIRN_S3_ENDPOINT',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL',
    'MLFLOW_S3_ENDPOINT_URL',
  );
  const region = pick('CAIRN_S3_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION');
  const pathStyle = pick('CAIRN_S3_PATH_STYLE');
  const accessKey = pick('CAIRN_S3_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID');
  const secretKey = pick('CAIRN_S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY');
  const session = pick('AWS_SESSION_TOKEN');
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(pathStyle ? { path_style: /^(1|true|yes)$/i.test(pathStyle) } : {}),
    ...(accessKey && secretKey ? { access_key_id: accessKey, secret_access_key: secretKey } : {}),
    ...(accessKey && secretKey && session ? { session_token: session } : {}),
  };
}
