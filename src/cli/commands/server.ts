import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { FastifyBaseLogger } from 'fastify';
import { splitList } from '../../kernel/config.ts';
import { errors, isCairnError } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import type { GatePolicy } from '../../registry/promotion/promotion-types.ts';
import { decideAuth } from '../../security/decide-auth.ts';
import {
  hostName,
  type OriginPolicy,
  parseAllowedHosts,
  parseCorsOrigins,
} from '../../server/origin/origin-policy.ts';
import { redact } from '../../store/redact-uri.ts';
import type { CliSession } from '../session.ts';
import { registerServerGc } from './server-gc.ts';
import { locations, type ServerSettings, s3Settings } from './server-locations.ts';

interface ServerFlags {
  host: string;
  port: string;
  store?: string;
  artifacts?: string;
  auth?: boolean;
  insecureNoAuth?: boolean;
  maxArtifactSize: string;
  enforceGates?: boolean;
  gates?: string;
  webhookNetworks?: string;
  webhookAllowHttp?: boolean;
  allowedHosts?: string;
  corsOrigins?: string;
}

/** `cairn server`: MLflow's tracking and registry REST API, a drop-in `mlflow server`. */
export function registerServer(program: Command, session: () => CliSession): void {
  const server = program
    .command('server')
    .description(
      'serve the MLflow tracking and registry API (MLflow clients work unchanged with MLFLOW_TRACKING_URI)',
    )
    .option(
      '--host <host>',
      'address to listen on; any non-loopback address turns authentication on',
      '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', '5000')
    .option(
      '--store <uri>',
      "metadata store: sqlite:///abs/path.db or postgresql://… (default: the workspace's, else ~/.cairn/cairn.db)",
    )
    .option(
      '--artifacts <uri>',
      'artifact root: file:///abs/dir or s3://bucket/prefix (default: <workspace>/.cairn/artifacts, else ~/.cairn/artifacts)',
    )
    .option('--auth', 'require credentials even on a loopback address')
    .option(
      '--insecure-no-auth',
      'serve without credentials on a non-loopback address (a warning is printed)',
    )
    .option('--max-artifact-size <size>', 'largest artifact upload accepted, e.g. 500MB or 5GiB', '5GiB')
    .option(
      '--enforce-gates',
      "refuse to move a gated alias to a version without a passing gate result (also: server.enforce_gates in the workspace's config)",
    )
    .option('--gates <file>', "the cairn.yaml whose gates are enforced (default: the workspace's)")
    .option(
      '--webhook-networks <cidrs>',
      'private networks webhook deliveries may reach, comma-separated, e.g. 10.0.0.0/8 (default: public addresses only; also CAIRN_WEBHOOKS_ALLOWED_NETWORKS)',
    )
    .option(
      '--webhook-allow-http',
      'accept http:// webhook URLs besides https:// (also CAIRN_WEBHOOKS_ALLOW_HTTP=true)',
    )
    .option(
      '--allowed-hosts <names>',
      'host names the server answers to besides IP addresses and localhost, comma-separated (*.example.com, or * for any)',
    )
    .option(
      '--cors-origins <origins>',
      'browser origins allowed to call the API, comma-separated, e.g. https://notebooks.example.com (default: none)',
    )
    .action(async (flags: ServerFlags) => serve(session(), flags));
  registerServerGc(server, session);
}

async function serve(s: CliSession, flags: ServerFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw errors.invalid(`--port ${flags.port} is not a port number`, {
      hint: 'give 0–65535 (0 picks a free port)',
    });
  const maxArtifactBytes = parseSize(flags.maxArtifactSize, '--max-artifact-size');
  const decision = decideAuth({
    host: flags.host,
    ...(flags.auth ? { auth: true } : {}),
    ...(flags.insecureNoAuth ? { insecureNoAuth: true } : {}),
  });
  const { storeUri, artifactsUri, settings } = await locations(s, flags);
  const gates = await gatesToEnforce(s, flags);
  const origins = originPolicy(flags, settings);
  const { createLogger } = await import('../../kernel/pino-logger.ts');
  const log: Logger = createLogger({ level: s.verbose ? 'debug' : 'warn', destination: s.io.stderr });
  if (decision.warning) s.warn(decision.warning);

  const [{ openServerBackends, serverRouteModules }, { createServer }] = await Promise.all([
    import('../../server/server-wiring.ts'),
    import('../../server/create-server.ts'),
  ]);
  const backends = await openServerBackends({
    storeUri,
    artifactsUri,
    s3: s3Settings(s.io.env),
    ...(gates ? { gatePolicy: gates.policy } : {}),
    webhooks: webhookSettings(flags, s.io.env),
    log,
  });
  let closed = false;
  const closeBackends = async () => {
    if (closed) return;
    closed = true;
    await backends.close();
  };
  try {
    const app = createServer(
      backends.deps,
      {
        maxArtifactBytes,
        auth: decision.enabled ? { store: backends.auth, sessions: backends.sessions } : null,
        origins,
        // pino's logger is what Fastify's request log takes; Cairn's Logger type is a subset of it.
        requestLogger: s.verbose
          ? (createLogger({ level: 'info', destination: s.io.stderr }) as unknown as FastifyBaseLogger)
          : null,
      },
      serverRouteModules(decision.enabled ? backends.auth : undefined),
    );
    const stopped = stopOnSignal(app, s, log);
    await listen(app, flags.host, port);
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address !== null ? address.port : port;
    const host = flags.host.includes(':') && !flags.host.startsWith('[') ? `[${flags.host}]` : flags.host;
    s.out(
      `Cairn server listening on http://${host}:${actualPort} (store: ${redact(storeUri)}, artifacts: ${redact(artifactsUri)}, auth: ${decision.enabled ? 'on' : 'off'}, gates: ${gates ? `enforced from ${gates.file}` : 'off'})`,
    );
    if (decision.enabled && !(await backends.auth.hasCredentials()))
      s.io.stderr.write(
        'note: authentication is on and no users or tokens exist yet; create an admin token with:\n' +
          `  cairn token create --role admin${flags.store ? ` --store '${redact(storeUri)}'` : ''}\n`,
      );
    await stopped;
  } finally {
    await closeBackends();
  }
}

/** Resolves when SIGTERM or SIGINT arrived and in-flight requests finished; a second signal exits at once. */
function stopOnSignal(
  app: { close(): Promise<unknown>; server: { closeIdleConnections(): void } },
  s: CliSession,
  log: Logger,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        s.io.stderr.write(`${signal} again: exiting without waiting for requests in flight\n`);
        process.exit(1);
      }
      stopping = true;
      s.io.stderr.write(`${signal}: finishing requests in flight, then stopping\n`);
      // A keep-alive connection whose request just finished would otherwise hold the server
      // open until the client's keep-alive timeout.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      app.close().then(
        () => {
          clearInterval(sweep);
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve();
        },
        (err: unknown) => {
          clearInterval(sweep);
          log.error({ err }, 'error while stopping');
          reject(err);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function listen(
  app: { listen(o: { host: string; port: number }): Promise<string> },
  host: string,
  port: number,
) {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw errors.unavailable(`cannot listen on ${host}:${port}: the port is in use`, {
        cause: err,
        hint: 'stop the other server or pick another port with --port (0 picks a free one)',
      });
    if (code === 'EACCES')
      throw errors.unavailable(`cannot listen on ${host}:${port}: permission denied`, {
        cause: err,
        hint: 'ports below 1024 need privileges; use --port 5000',
      });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw errors.invalid(`cannot listen on ${host}: no such address on this machine`, { cause: err });
    throw err;
  }
}

/**
 * The gate policy to enforce, when --enforce-gates or the workspace's server.enforce_gates asks
 * for it: from --gates, else the workspace's cairn.yaml. Enforcing with no gate definitions to
 * read is an error, not a server that quietly enforces nothing.
 */
async function gatesToEnforce(
  s: CliSession,
  flags: ServerFlags,
): Promise<{ file: string; policy: GatePolicy } | undefined> {
  let workspace: { root: string; enforce: boolean } | undefined;
  try {
    const { root, config } = await s.config();
    workspace = { root, enforce: config.server.enforce_gates };
  } catch (err) {
    if (!(isCairnError(err) && err.code === 'FAILED_PRECONDITION')) throw err;
  }
  if (!flags.enforceGates && !workspace?.enforce) {
    if (flags.gates !== undefined)
      throw errors.invalid('--gates names the gates to enforce, but gates are not enforced', {
        hint: 'add --enforce-gates',
      });
    return undefined;
  }
  const file =
    flags.gates !== undefined
      ? resolve(s.cwd, flags.gates)
      : workspace
        ? join(workspace.root, 'cairn.yaml')
        : undefined;
  if (file === undefined)
    throw errors.invalid('--enforce-gates needs the gate definitions: no workspace here', {
      hint: 'pass --gates path/to/cairn.yaml, or start the server in the workspace',
    });
  const { loadGates } = await import('../../pipeline/definition/gate-definitions.ts');
  const { gatePolicyOf } = await import('../../ml/gates/gate-policy.ts');
  const gates = await loadGates(dirname(file), basename(file));
  if (gates.length === 0)
    throw errors.invalid(`${file} declares no gates, so there is nothing to enforce`, {
      hint: 'declare gates: in cairn.yaml (see docs/models.md), or start the server without --enforce-gates',
    });
  return { file, policy: gatePolicyOf(gates) };
}

/**
 * Which names and origins the server answers: `--allowed-hosts` / `--cors-origins`, else the
 * `server.*` settings; plus the name it was told to listen on, and this machine's name when it
 * listens on every address (clients reach it by that name).
 */
function originPolicy(flags: ServerFlags, settings: ServerSettings): OriginPolicy {
  const hosts = parseAllowedHosts(
    flags.allowedHosts !== undefined ? splitList(flags.allowedHosts) : settings.allowed_hosts,
    flags.allowedHosts !== undefined ? '--allowed-hosts' : 'server.allowed_hosts',
  );
  const bound = hostName(flags.host);
  if (isIP(bound) === 0 && bound !== '') hosts.push(bound);
  if (bound === '0.0.0.0' || bound === '::') hosts.push(hostname().toLowerCase());
  const corsOrigins = parseCorsOrigins(
    flags.corsOrigins !== undefined ? splitList(flags.corsOrigins) : settings.cors_origins,
    flags.corsOrigins !== undefined ? '--cors-origins' : 'server.cors_origins',
  );
  return { hosts, corsOrigins };
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `5GiB`, `500MB`, `1048576` → bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw errors.invalid(`${flag} ${text} is not a size`, { hint: 'write it like 1048576, 500MB or 5GiB' });
  return bytes;
}

/** Where webhook deliveries may go: --webhook-networks / --webhook-allow-http, else CAIRN_WEBHOOKS_*. */
function webhookSettings(
  flags: ServerFlags,
  env: NodeJS.ProcessEnv,
): { allowedNetworks: string[]; allowHttp: boolean } {
  const networks = flags.webhookNetworks ?? env.CAIRN_WEBHOOKS_ALLOWED_NETWORKS ?? '';
  return {
    allowedNetworks: networks
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== ''),
    allowHttp: flags.webhookAllowHttp === true || env.CAIRN_WEBHOOKS_ALLOW_HTTP === 'true',
  };
}
