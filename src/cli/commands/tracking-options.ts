import type { Command } from 'commander';
import { errors } from '../../kernel/errors.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import type { CliSession } from '../session.ts';

export interface TrackingOpts {
  trackingUri?: string;
  remote?: boolean;
  token?: string;
}

/** `--tracking-uri`, `--remote` and `--token`, for commands that read the tracking store. */
export function withTrackingOptions(command: Command): Command {
  return command
    .option(
      '--tracking-uri <uri>',
      'read this tracking store (sqlite:///…, postgresql://…, http(s)://…) instead of the workspace',
    )
    .option('--remote', 'read the tracking server named by CAIRN_TRACKING_URI or MLFLOW_TRACKING_URI')
    .option(
      '--token <token>',
      'bearer token for a server (default: CAIRN_TRACKING_TOKEN, MLFLOW_TRACKING_TOKEN)',
    );
}

/**
 * Runs `fn` with the tracking store the options name: the workspace's own store by default;
 * with `--tracking-uri` or `--remote`, the store the SDK would pick (the same resolution), closed
 * afterwards.
 */
export async function withTracking<T>(
  s: CliSession,
  opts: TrackingOpts,
  fn: (store: TrackingStore, where: { uri: string; workspaceRoot?: string }) => Promise<T>,
): Promise<T> {
  if (!opts.trackingUri && !opts.remote) {
    const ws = await s.workspace();
    return fn(await ws.tracking(), { uri: ws.config.metadata.uri, workspaceRoot: ws.root });
  }
  const env = s.io.env;
  if (opts.remote && !opts.trackingUri && !env.CAIRN_TRACKING_URI && !env.MLFLOW_TRACKING_URI)
    throw errors.invalid('--remote: no tracking server is set', {
      hint: 'set CAIRN_TRACKING_URI (or MLFLOW_TRACKING_URI) to the server, e.g. http://tracking:5000, or pass --tracking-uri',
    });
  const { resolveTrackingTarget } = await import('../../sdk/tracking-uri.ts');
  const { openTrackingTarget } = await import('../../sdk/open-store.ts');
  const target = await resolveTrackingTarget({
    uri: opts.trackingUri,
    token: opts.token,
    env,
    cwd: s.cwd,
  });
  const opened = await openTrackingTarget(target);
  try {
    return await fn(opened.store, {
      uri: target.uri,
      ...(target.workspaceRoot ? { workspaceRoot: target.workspaceRoot } : {}),
    });
  } finally {
    await opened.close();
  }
}
