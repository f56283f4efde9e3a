import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Document } from 'yaml';
import { errors } from './errors.ts';
import { LOG_LEVELS, type LogLevel } from './logging.ts';
import { parseSimpleYaml } from './yaml/block-yaml.ts';
import { yamlLib } from './yaml/yaml-lib.ts';

export const LINK_MODES = ['reflink', 'copy', 'hardlink', 'symlink'] as const;
export type LinkMode = (typeof LINK_MODES)[number];

/** One remote as configured under `remotes.<name>`. Credentials belong in config.local.yaml. */
export interface RemoteConfig {
  url: string;
  endpoint?: string;
  region?: string;
  path_style?: boolean;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  /** Transfers in flight at once for push / pull (default 16 for S3, 8 for a directory). */
  jobs?: number;
}

export interface CairnConfig {
  core: {
    /** Name of the default remote. */
    remote?: string;
    /** Parallel workers for hashing and transfers; default: the number of cores. */
    jobs?: number;
  };
  metadata: {
    /** `sqlite:///abs/path.db` or `postgresql://…`; default: `.cairn/cairn.db` in the workspace. */
    uri: string;
  };
  cache: {
    dir: string;
    /** Link modes tried in order when checking files out of the cache. */
    link: LinkMode[];
    /**
     * fsync every object written to the local cache, and its directory, before anything names it
     * (default true; see docs/data-versioning.md for what turning it off risks).
     */
    fsync: boolean;
    /** Profile CSV / Parquet files with DuckDB when they are added. */
    profile: boolean;
    /** DuckDB's memory limit (MiB) while profiling; above it, DuckDB spills to `.cairn/tmp/`. */
    profile_memory_mib: number;
  };
  remotes: Record<string, RemoteConfig>;
  log: { level: LogLevel };
  /** `cairn server`: gate enforcement, and which Host names and browser origins it answers beyond its defaults. */
  server: {
    /** `cairn server` refuses to move a gated alias to a version without a passing gate result. */
    enforce_gates: boolean;
    allowed_hosts: string[];
    cors_origins: string[];
  };
  /** Where `cairn run` runs stages, and how `cairn worker` finds its work. */
  executor: {
    /** `local` (in this process) or `temporal://host:port[/namespace]`. */
    uri: string;
    /** The task queue for stages that name none. */
    queue: string;
    /** Seconds a worker may go without a heartbeat before its stage is retried elsewhere. */
    heartbeat_timeout: number;
    /** Attempts per stage when workers are lost or fail to move data (a failing command is not retried). */
    attempts: number;
  };
}

/** DuckDB's memory limit while profiling, unless `cache.profile_memory_mib` says otherwise. */
export const DEFAULT_PROFILE_MEMORY_MIB = 256;

export const CONFIG_FILE = 'config.yaml';
export const LOCAL_CONFIG_FILE = 'config.local.yaml';
export const WORKSPACE_DIR = '.cairn';

type Kind = 'string' | 'number' | 'boolean' | 'link-list' | 'log-level' | 'string-list';
const SECTIONS: Record<string, Record<string, Kind>> = {
  core: { remote: 'string', jobs: 'number' },
  metadata: { uri: 'string' },
  cache: {
    dir: 'string',
    link: 'link-list',
    fsync: 'boolean',
    profile: 'boolean',
    profile_memory_mib: 'number',
  },
  log: { level: 'log-level' },
  server: { enforce_gates: 'boolean', allowed_hosts: 'string-list', cors_origins: 'string-list' },
  executor: { uri: 'string', queue: 'string', heartbeat_timeout: 'number', attempts: 'number' },
};
const REMOTE_KEYS: Record<string, Kind> = {
  url: 'string',
  endpoint: 'string',
  region: 'string',
  path_style: 'boolean',
  access_key_id: 'string',
  secret_access_key: 'string',
  session_token: 'string',
  jobs: 'number',
};

/**
 * Environment variables Cairn reads, and the setting each one overrides.
 * `CAIRN_S3_*` apply to every S3 remote.
 */
export const ENV_SETTINGS = {
  CAIRN_REMOTE: 'core.remote',
  CAIRN_JOBS: 'core.jobs',
  CAIRN_METADATA_URI: 'metadata.uri',
  CAIRN_CACHE_DIR: 'cache.dir',
  CAIRN_CACHE_LINK: 'cache.link',
  CAIRN_CACHE_FSYNC: 'cache.fsync',
  CAIRN_CACHE_PROFILE: 'cache.profile',
  CAIRN_CACHE_PROFILE_MEMORY_MIB: 'cache.profile_memory_mib',
  CAIRN_LOG_LEVEL: 'log.level',
  CAIRN_SERVER_ENFORCE_GATES: 'server.enforce_gates',
  CAIRN_SERVER_ALLOWED_HOSTS: 'server.allowed_hosts',
  CAIRN_SERVER_CORS_ORIGINS: 'server.cors_origins',
  CAIRN_EXECUTOR: 'executor.uri',
  CAIRN_EXECUTOR_QUEUE: 'executor.queue',
  CAIRN_EXECUTOR_HEARTBEAT_TIMEOUT: 'executor.heartbeat_timeout',
  CAIRN_EXECUTOR_ATTEMPTS: 'executor.attempts',
  CAIRN_S3_ENDPOINT: 'remotes.*.endpoint',
  CAIRN_S3_REGION: 'remotes.*.region',
  CAIRN_S3_PATH_STYLE: 'remotes.*.path_style',
  CAIRN_S3_ACCESS_KEY_ID: 'remotes.*.access_key_id',
  CAIRN_S3_SECRET_ACCESS_KEY: 'remotes.*.secret_access_key',
} as const;

export interface LoadConfigOptions {
  /** The workspace root (the directory holding `.cairn/`). */
  root: string;
  env?: NodeJS.ProcessEnv;
}

type Raw = Record<string, Record<string, unknown>>;

/**
 * Loads the configuration for the workspace at `root`. Precedence, lowest first: built-in
 * defaults, `.cairn/config.yaml` (committed), `.cairn/config.local.yaml` (git-ignored),
 * `CAIRN_*` environment variables. The result is frozen.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Readonly<CairnConfig>> {
  const env = options.env ?? process.env;
  const dir = join(options.root, WORKSPACE_DIR);
  const raw: Raw = {};
  for (const file of [CONFIG_FILE, LOCAL_CONFIG_FILE]) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text !== undefined) mergeInto(raw, parseConfigText(text, path));
  }
  applyEnv(raw, env);
  return deepFreeze(resolveConfig(raw, options.root));
}

/** Parses and validates one config file; errors name the file and line. */
export function parseConfigText(text: string, path: string): Raw {
  // Most config files are plain block YAML: read them without the full parser, which matters for
  // the start-up time of every command. Anything unusual, and every error (for its line number),
  // goes through the full parser below.
  if (text.split('\n').every((line) => /^\s*(#.*)?$/.test(line))) return {};
  const simple = parseSimpleYaml(text);
  if (isPlainObject(simple)) {
    try {
      validateRaw(simple, () => path);
      return simple as Raw;
    } catch {
      // Fall through: the full parser reports the error with its line.
    }
  }
  return parseConfigDocument(text, path);
}

function parseConfigDocument(text: string, path: string): Raw {
  const { LineCounter, isMap, parseDocument } = yamlLib();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    // With prettyErrors off the yaml library leaves linePos unset; pos is the offset.
    const line = first ? lines.linePos(first.pos[0]).line : 1;
    throw errors.invalid(`${path}:${line}: invalid YAML: ${first?.message.split('\n')[0]}`, {
      hint: 'fix the syntax in that file',
    });
  }
  if (doc.contents === null) return {};
  const where = (keyPath: (string | number)[]): string => {
    const node = doc.getIn(keyPath.slice(0, -1), true) as unknown;
    let line = 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === keyPath.at(-1));
      const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
      if (range) line = lines.linePos(range[0]).line;
    }
    return `${path}:${line}`;
  };
  const value = doc.toJS() as unknown;
  if (!isPlainObject(value)) throw errors.invalid(`${path}:1: the config must be a mapping`);
  validateRaw(value, (keyPath) => where(keyPath));
  return value as Raw;
}

function validateRaw(value: Record<string, unknown>, where: (p: string[]) => string): void {
  for (const [section, body] of Object.entries(value)) {
    if (section === 'remotes') {
      if (body === null) continue;
      if (!isPlainObject(body))
        throw errors.invalid(`${where([section])}: "remotes" must be a mapping of name to settings`);
      for (const [name, remote] of Object.entries(body)) {
        if (!isPlainObject(remote))
          throw errors.invalid(`${where([section, name])}: remote "${name}" must be a mapping`);
        for (const [key, v] of Object.entries(remote)) {
          const kind = REMOTE_KEYS[key];
          if (!kind)
            throw errors.invalid(
              `${where([section, name, key])}: unknown remote setting "${key}" (known: ${Object.keys(REMOTE_KEYS).join(', ')})`,
            );
          checkKind(v, kind, `${where([section, name, key])}: remotes.${name}.${key}`);
        }
      }
      continue;
    }
    const keys = SECTIONS[section];
    if (!keys)
      throw errors.invalid(
        `${where([section])}: unknown section "${section}" (known: ${[...Object.keys(SECTIONS), 'remotes'].join(', ')})`,
      );
    if (body === null) continue;
    if (!isPlainObject(body)) throw errors.invalid(`${where([section])}: "${section}" must be a mapping`);
    for (const [key, v] of Object.entries(body)) {
      const kind = keys[key];
      if (!kind)
        throw errors.invalid(
          `${where([section, key])}: unknown setting "${section}.${key}" (known: ${Object.keys(keys).join(', ')})`,
        );
      checkKind(v, kind, `${where([section, key])}: ${section}.${key}`);
    }
  }
}

function checkKind(value: unknown, kind: Kind, label: string): void {
  const fail = (expected: string): never => {
    throw errors.invalid(`${label} must be ${expected}, got ${JSON.stringify(value)}`);
  };
  switch (kind) {
    case 'string':
      if (typeof value !== 'string' || value === '') fail('a non-empty string');
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail('a positive integer');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return;
    case 'log-level':
      if (!LOG_LEVELS.includes(value as LogLevel)) fail(`one of ${LOG_LEVELS.join(', ')}`);
      return;
    case 'link-list': {
      const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
      if (!Array.isArray(list) || list.length === 0 || !list.every((m) => LINK_MODES.includes(m)))
        fail(`one or more of ${LINK_MODES.join(', ')}`);
      return;
    }
    case 'string-list': {
      const list = typeof value === 'string' ? splitList(value) : value;
      if (!Array.isArray(list) || !list.every((m) => typeof m === 'string' && m !== ''))
        fail('a list of strings');
    }
  }
}

function applyEnv(raw: Raw, env: NodeJS.ProcessEnv): void {
  for (const [name, setting] of Object.entries(ENV_SETTINGS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const [section, key, field] = setting.split('.') as [string, string, string?];
    if (section === 'remotes') {
      const kind = REMOTE_KEYS[field as string] as Kind;
      const value = fromEnvText(text, kind, name);
      for (const remote of Object.values(raw.remotes ?? {})) {
        if (isPlainObject(remote) && String(remote.url ?? '').startsWith('s3://'))
          remote[field as string] = value;
      }
      continue;
    }
    const kind = SECTIONS[section]?.[key] as Kind;
    raw[section] ??= {};
    (raw[section] as Record<string, unknown>)[key] = fromEnvText(text, kind, name);
  }
}

/**
 * The remote settings `CAIRN_S3_*` variables give, for a process that has no workspace config of
 * its own (`cairn worker` opens the remotes its tasks name with them).
 */
export function remoteSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<RemoteConfig> {
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(ENV_SETTINGS)) {
    const text = env[name];
    if (!setting.startsWith('remotes.*.') || text === undefined || text === '') continue;
    const field = setting.slice('remotes.*.'.length);
    out[field] = fromEnvText(text, REMOTE_KEYS[field] as Kind, name);
  }
  return out as Partial<RemoteConfig>;
}

/**
 * Parses the text of one remote setting as typed on a command line (`cairn remote modify`),
 * checking the key and the value's type.
 */
export function parseRemoteSetting(key: string, text: string): string | number | boolean {
  const kind = REMOTE_KEYS[key];
  if (!kind)
    throw errors.invalid(`unknown remote setting "${key}"`, {
      hint: `known: ${Object.keys(REMOTE_KEYS).join(', ')}`,
    });
  return fromEnvText(text, kind, key) as string | number | boolean;
}

function fromEnvText(text: string, kind: Kind, name: string): unknown {
  let value: unknown = text;
  if (kind === 'number') value = Number(text);
  if (kind === 'boolean') {
    if (!['true', 'false', '1', '0'].includes(text.toLowerCase()))
      throw errors.invalid(`${name} must be true or false, got ${JSON.stringify(text)}`);
    value = text === 'true' || text === '1';
  }
  checkKind(value, kind, `environment variable ${name}`);
  return value;
}

/** `a, b,c` → `['a', 'b', 'c']` (empty items dropped). */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? splitList(value) : (value as string[]);
}

function resolveConfig(raw: Raw, root: string): CairnConfig {
  const core = raw.core ?? {};
  const cache = raw.cache ?? {};
  const link = cache.link ?? ['reflink', 'copy'];
  const cacheDir = (cache.dir as string | undefined) ?? join(WORKSPACE_DIR, 'cache');
  const remotes: Record<string, RemoteConfig> = {};
  for (const [name, remote] of Object.entries(raw.remotes ?? {})) {
    if (!isPlainObject(remote)) continue;
    if (typeof remote.url !== 'string')
      throw errors.invalid(`remote "${name}" has no url`, {
        hint: `set it with: cairn remote add ${name} <url> --force`,
      });
    remotes[name] = remote as unknown as RemoteConfig;
  }
  const config: CairnConfig = {
    core: {
      ...(core.remote !== undefined ? { remote: core.remote as string } : {}),
      ...(core.jobs !== undefined ? { jobs: core.jobs as number } : {}),
    },
    metadata: {
      uri:
        (raw.metadata?.uri as string | undefined) ?? `sqlite://${resolve(root, WORKSPACE_DIR, 'cairn.db')}`,
    },
    cache: {
      dir: isAbsolute(cacheDir) ? cacheDir : resolve(root, cacheDir),
      link: (typeof link === 'string' ? link.split(',').map((s) => s.trim()) : link) as LinkMode[],
      fsync: (cache.fsync as boolean | undefined) ?? true,
      profile: (cache.profile as boolean | undefined) ?? true,
      profile_memory_mib: (cache.profile_memory_mib as number | undefined) ?? DEFAULT_PROFILE_MEMORY_MIB,
    },
    remotes,
    log: { level: (raw.log?.level as LogLevel | undefined) ?? 'info' },
    server: {
      enforce_gates: (raw.server?.enforce_gates as boolean | undefined) ?? false,
      allowed_hosts: stringList(raw.server?.allowed_hosts),
      cors_origins: stringList(raw.server?.cors_origins),
    },
    executor: {
      uri: (raw.executor?.uri as string | undefined) ?? 'local',
      queue: (raw.executor?.queue as string | undefined) ?? 'default',
      heartbeat_timeout: (raw.executor?.heartbeat_timeout as number | undefined) ?? 30,
      attempts: (raw.executor?.attempts as number | undefined) ?? 3,
    },
  };
  if (config.core.remote !== undefined && !remotes[config.core.remote])
    throw errors.invalid(`the default remote "${config.core.remote}" is not configured`, {
      hint: `add it with: cairn remote add ${config.core.remote} <url>`,
    });
  return config;
}

function mergeInto(target: Raw, source: Raw): void {
  for (const [section, body] of Object.entries(source)) {
    if (body === null || body === undefined) continue;
    if (section === 'remotes') {
      target.remotes ??= {};
      for (const [name, remote] of Object.entries(body)) {
        const existing = target.remotes[name];
        target.remotes[name] = {
          ...(isPlainObject(existing) ? existing : {}),
          ...(remote as Record<string, unknown>),
        };
      }
      continue;
    }
    target[section] = { ...(target[section] ?? {}), ...body };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Loads a config file as an editable YAML document (comments kept), or an empty one. */
export async function readConfigDocument(path: string): Promise<Document> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  parseConfigText(text, path);
  return yamlLib().parseDocument(text);
}
