import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, WORKSPACE_DIR } from '../kernel/config.ts';
import { errors, isCairnError } from '../kernel/errors.ts';
import { findWorkspaceRoot } from '../workspace/workspace-root.ts';

/**
 * A workspace keeps run artifacts in `.cairn/artifacts` (ARTIFACTS_DIR of workspace/open-workspace.ts,
 * not imported from there: that module loads the whole data layer, and training code imports this one).
 */
const ARTIFACTS_DIR = 'artifacts';

/** Where a tracking URI came from, for messages. */
export const TRACKING_URI_SOURCES = [
  'option',
  'CAIRN_TRACKING_URI',
  'MLFLOW_TRACKING_URI',
  'workspace',
] as const;
export type TrackingUriSource = (typeof TRACKING_URI_SOURCES)[number];

/** A tracking store to open: its URI, how to authenticate, and where new experiments keep artifacts. */
export interface TrackingTarget {
  /** `sqlite:///abs/path.db`, `postgresql://…`, `http(s)://host:port`. */
  uri: string;
  source: TrackingUriSource;
  /** Bearer token for an HTTP server. */
  token?: string;
  /** HTTP Basic credentials for a server (MLFLOW_TRACKING_USERNAME / _PASSWORD), when no token is set. */
  username?: string;
  password?: string;
  /** Artifact root of experiments created through a SQL store (a server decides its own). */
  defaultArtifactRoot: string;
  /** The workspace the client runs in (`CAIRN_WORKSPACE`, or found from `cwd`), if any. */
  workspaceRoot?: string;
}

export interface ResolveTrackingOptions {
  /** An explicit URI; wins over the environment. */
  uri?: string | undefined;
  /** An explicit token; wins over CAIRN_TRACKING_TOKEN and MLFLOW_TRACKING_TOKEN. */
  token?: string | undefined;
  /** Where to look for a workspace (default: the process's working directory). */
  cwd?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Skip the environment variables and use the workspace's store (the CLI's default). */
  workspaceOnly?: boolean;
}

/**
 * Picks the tracking store the SDK and `cairn exp … --remote` talk to: the `uri` option, then
 * `CAIRN_TRACKING_URI` (set for pipeline stages), then `MLFLOW_TRACKING_URI`, then the metadata
 * store of the workspace found from `cwd`. Throws FAILED_PRECONDITION when none applies.
 *
 * @example
 * const target = await resolveTrackingTarget({ env: process.env });
 * // { uri: 'sqlite:///home/me/project/.cairn/cairn.db', source: 'workspace', … }
 */
export async function resolveTrackingTarget(options: ResolveTrackingOptions = {}): Promise<TrackingTarget> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const token = options.token || env.CAIRN_TRACKING_TOKEN || env.MLFLOW_TRACKING_TOKEN || undefined;
  const credentials = {
    ...(token ? { token } : {}),
    ...(!token && env.MLFLOW_TRACKING_USERNAME
      ? { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' }
      : {}),
  };
  const given: [string | undefined, TrackingUriSource][] = options.workspaceOnly
    ? []
    : [
        [options.uri, 'option'],
        [env.CAIRN_TRACKING_URI, 'CAIRN_TRACKING_URI'],
        [env.MLFLOW_TRACKING_URI, 'MLFLOW_TRACKING_URI'],
      ];
  for (const [uri, source] of given) {
    if (!uri) continue;
    const workspaceRoot = env.CAIRN_WORKSPACE || findWorkspace(cwd);
    return {
      uri,
      source,
      ...credentials,
      defaultArtifactRoot: artifactRootFor(uri, env.CAIRN_WORKSPACE, workspaceRoot, cwd),
      ...(workspaceRoot ? { workspaceRoot } : {}),
    };
  }
  let root: string;
  try {
    root = findWorkspaceRoot(cwd);
  } catch (err) {
    if (isCairnError(err) && err.code === 'FAILED_PRECONDITION')
      throw errors.precondition(`no tracking store: ${cwd} is not inside a Cairn workspace`, {
        cause: err,
        hint: 'set CAIRN_TRACKING_URI or MLFLOW_TRACKING_URI (sqlite:///abs/path.db, postgresql://…, http://host:5000), pass { uri }, or run inside a workspace (cairn init)',
      });
    throw err;
  }
  const config = await loadConfig({ root, env });
  return {
    uri: config.metadata.uri,
    source: 'workspace',
    ...credentials,
    defaultArtifactRoot: workspaceArtifacts(root),
    workspaceRoot: root,
  };
}

function workspaceArtifacts(root: string): string {
  return pathToFileURL(join(root, WORKSPACE_DIR, ARTIFACTS_DIR)).href;
}

function findWorkspace(cwd: string): string | undefined {
  try {
    return findWorkspaceRoot(cwd);
  } catch {
    return undefined;
  }
}

/**
 * New experiments of a SQL store keep artifacts where the workspace that owns the store keeps
 * them: the pipeline's (`CAIRN_WORKSPACE`), else beside a SQLite file (a workspace's database is
 * `.cairn/cairn.db`, its artifacts `.cairn/artifacts`), else the workspace found from `cwd`, else
 * `./mlartifacts` as MLflow does.
 */
function artifactRootFor(
  uri: string,
  pipelineWorkspace: string | undefined,
  workspaceRoot: string | undefined,
  cwd: string,
): string {
  if (pipelineWorkspace) return workspaceArtifacts(pipelineWorkspace);
  if (uri.startsWith('sqlite:///'))
    return pathToFileURL(join(dirname(decodeURIComponent(uri.slice('sqlite://'.length))), ARTIFACTS_DIR))
      .href;
  if (workspaceRoot) return workspaceArtifacts(workspaceRoot);
  return pathToFileURL(join(cwd, 'mlartifacts')).href;
}
