import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { WORKSPACE_DIR } from '../../kernel/config.ts';
import { errors, isCairnError } from '../../kernel/errors.ts';
import type { CliSession } from '../session.ts';
import { parseSize } from './server.ts';

export interface ServeFlags {
  config?: string;
  host: string;
  port: string;
  workers: string;
  registry?: string;
  token?: string;
  intraOpThreads?: string;
  interOpThreads?: string;
  maxBatchSize?: string;
  maxWaitUs?: string;
  maxQueue?: string;
  requestTimeout?: string;
  allowMissing?: boolean;
  maxBodySize: string;
  predictionLog?: string;
  logSample: string;
  cacheDir?: string;
  adminTokenFile?: string;
  json?: boolean;
}

function whole(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw errors.invalid(`${flag} ${value} is not a whole number from ${min} to ${max}`);
  return n;
}

function routeName(uri: string): string {
  const models = /^models:\/([^/@]+)/i.exec(uri);
  const raw = models ? (models[1] as string) : (uri.replace(/\/+$/, '').split('/').at(-1) ?? 'model');
  return (
    raw
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'model'
  );
}

/** The serving config the arguments and flags describe (not yet checked: parseServingConfig does that). */
export async function configFromFlags(s: CliSession, models: string[], flags: ServeFlags): Promise<unknown> {
  let doc: Record<string, unknown>;
  if (flags.config !== undefined) {
    if (models.length > 0)
      throw errors.invalid('give models or --config, not both', {
        hint: 'list every endpoint in the config file',
      });
    const path = resolve(s.cwd, flags.config);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw errors.notFound(`cannot read --config ${flags.config}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const { yamlLib } = await import('../../kernel/yaml/yaml-lib.ts');
    try {
      doc = yamlLib().parse(text) as Record<string, unknown>;
    } catch (err) {
      throw errors.invalid(
        `--config ${flags.config} is not YAML or JSON: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (typeof doc !== 'object' || doc === null) throw errors.invalid(`--config ${flags.config} is empty`);
  } else {
    if (models.length === 0)
      throw errors.invalid('nothing to serve: give model URIs or --config', {
        hint: 'e.g. cairn serve ./model or cairn serve income=models:/income@champion',
      });
    const names = new Set<string>();
    const endpoints = models.map((arg) => {
      const eq = arg.indexOf('=');
      const explicit = eq > 0 && !arg.slice(0, eq).includes('/') && !arg.slice(0, eq).includes(':');
      const uri = explicit ? arg.slice(eq + 1) : arg;
      const name = explicit ? arg.slice(0, eq) : routeName(uri);
      if (names.has(name))
        throw errors.invalid(`two models would be served as ${name}`, {
          hint: `name them: cairn serve a=${uri} b=…`,
        });
      names.add(name);
      return { name, variants: [{ name: 'primary', model: uri }] };
    });
    doc = { endpoints };
  }
  const runtime = {
    ...(doc.runtime as object | undefined),
    ...defined({
      intra_op_threads: whole(flags.intraOpThreads, '--intra-op-threads', 1, 256),
      inter_op_threads: whole(flags.interOpThreads, '--inter-op-threads', 1, 256),
    }),
  };
  const batching = {
    ...(doc.batching as object | undefined),
    ...defined({
      max_batch_size: whole(flags.maxBatchSize, '--max-batch-size', 1, 65536),
      max_wait_us: whole(flags.maxWaitUs, '--max-wait-us', 0, 1_000_000),
      max_queue: whole(flags.maxQueue, '--max-queue', 1, 1_000_000),
    }),
  };
  const limits = {
    ...(doc.limits as object | undefined),
    ...defined({
      request_timeout_ms: whole(flags.requestTimeout, '--request-timeout', 1, 3_600_000),
      allow_missing: flags.allowMissing ? true : undefined,
    }),
  };
  return { ...doc, runtime, batching, limits };
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Number flags of the server itself. */
export function serverNumbers(flags: ServeFlags): {
  port: number;
  workers: number;
  bodyLimit: number;
  sample: number;
} {
  const port = whole(flags.port, '--port', 0, 65535) as number;
  const workers = whole(flags.workers, '--workers', 1, 256) as number;
  const bodyLimit = parseSize(flags.maxBodySize, '--max-body-size');
  const sample = Number(flags.logSample);
  if (!Number.isFinite(sample) || sample < 0 || sample > 1)
    throw errors.invalid(`--log-sample ${flags.logSample} is not a fraction from 0 to 1`);
  return { port, workers, bodyLimit, sample };
}

/** The workspace root, or undefined outside one. */
export async function workspaceRoot(s: CliSession): Promise<string | undefined> {
  try {
    return (await s.config()).root;
  } catch (err) {
    if (isCairnError(err) && err.code === 'FAILED_PRECONDITION') return undefined;
    throw err;
  }
}

/** `<workspace>/.cairn/<sub>`, else `~/.cairn/<sub>`. */
export function cairnDir(root: string | undefined, ...sub: string[]): string {
  return root ? join(root, WORKSPACE_DIR, ...sub) : join(homedir(), '.cairn', ...sub);
}
