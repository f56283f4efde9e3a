import { createConnection } from 'node:net';
import type { Client, Connection as GrpcConnection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { CairnError, errors, isCairnError } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import type { TemporalTarget } from './temporal-target.ts';

export interface TemporalConnectOptions {
  /** Where the SDK's own messages go (warnings and errors only). */
  log: Logger;
  /** Give up after this long (default 10 s): a service that does not answer is an error, not a hang. */
  timeoutMs?: number;
  /** For Temporal Cloud and servers that want one. */
  apiKey?: string;
}

/** An open connection to one namespace of a Temporal service. */
export interface TemporalConnection {
  target: TemporalTarget;
  /** Starts, follows and cancels workflows. */
  client: Client;
  /** The connection workers need, opened on first use (the service answered already). */
  native(): Promise<NativeConnection>;
  close(): Promise<void>;
}

/** SDK warnings that describe a worker set up that way on purpose. */
const QUIET = /^No (workflows|activities|Nexus services) registered/;
let runtimeInstalled = false;

/**
 * Connects to the Temporal service and checks that the namespace exists. Fails within
 * `timeoutMs` with UNAVAILABLE when the service cannot be reached or does not answer, NOT_FOUND
 * when the namespace does not exist, and leaves nothing open behind it.
 */
export async function connectTemporal(
  target: TemporalTarget,
  options: TemporalConnectOptions,
): Promise<TemporalConnection> {
  const { Client, Connection } = await import('@temporalio/client');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const where = `the Temporal service at ${target.address}`;
  const hint = `start one (on a laptop: temporal server start-dev) or fix the address in --executor / executor.uri (${target.uri})`;
  const settings = {
    address: target.address,
    ...(target.tls ? { tls: true } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  };
  // The gRPC client connects with a deadline and closes cleanly when it fails; the SDK's native
  // connection, which workers need, has neither, so it is opened only once the service answered.
  let connection: GrpcConnection | undefined;
  try {
    await reachable(target.address, timeoutMs);
    connection = await Connection.connect({ ...settings, connectTimeout: timeoutMs });
    const opened = connection;
    await opened.withDeadline(Date.now() + timeoutMs, () =>
      opened.workflowService.describeNamespace({ namespace: target.namespace }),
    );
  } catch (err) {
    await connection?.close().catch(() => undefined);
    throw connectionError(err, target, where, hint, timeoutMs);
  }
  const grpc = connection;
  let native: Promise<NativeConnection> | undefined;
  return {
    target,
    client: new Client({ connection: grpc, namespace: target.namespace }),
    native: () => {
      native ??= openNative(settings, options.log).catch((err: unknown) => {
        throw connectionError(err, target, where, hint, timeoutMs);
      });
      return native;
    },
    close: async () => {
      await (await native?.catch(() => undefined))?.close().catch(() => undefined);
      await grpc.close();
    },
  };
}

/**
 * Opens and closes a TCP connection: a refused port or an unknown host fails at once, where the
 * gRPC client would retry until its deadline.
 */
function reachable(address: string, timeoutMs: number): Promise<void> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('deadline exceeded'), { code: 4 }));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new Error(err.code === 'ECONNREFUSED' ? 'connection refused' : err.message));
    });
  });
}

async function openNative(
  settings: { address: string; tls?: boolean; apiKey?: string },
  log: Logger,
): Promise<NativeConnection> {
  const { NativeConnection, Runtime, DefaultLogger } = await import('@temporalio/worker');
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({
      // The SDK logs to stderr by default; Cairn's own logger decides what the user sees.
      logger: new DefaultLogger('WARN', (entry) => {
        if (QUIET.test(entry.message)) return;
        const write = entry.level === 'ERROR' ? log.error : log.warn;
        write.call(log, { temporal: entry.meta ?? {} }, entry.message);
      }),
      // Cairn's commands handle Ctrl-C themselves: the SDK must not shut their workers down first.
      shutdownSignals: [],
    });
  }
  return NativeConnection.connect(settings);
}

function connectionError(
  err: unknown,
  target: TemporalTarget,
  where: string,
  hint: string,
  timeoutMs: number,
): CairnError {
  if (isCairnError(err)) return err;
  const grpcCode = (err as { code?: unknown }).code;
  if (grpcCode === 5)
    return errors.notFound(`${where} has no namespace "${target.namespace}"`, {
      hint: `create it (temporal operator namespace create --namespace ${target.namespace}) or name another in ${target.uri}`,
      cause: err,
    });
  if (grpcCode === 16 || grpcCode === 7)
    return new CairnError(
      grpcCode === 16 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
      `${where} refused the connection: ${firstLine(err)}`,
      { hint: 'check the API key (CAIRN_TEMPORAL_API_KEY) and the namespace', cause: err },
    );
  const message = firstLine(err);
  if (grpcCode === 4 || /deadline/i.test(message))
    return errors.unavailable(`no answer from ${where} within ${timeoutMs / 1000} s`, { hint, cause: err });
  return errors.unavailable(`cannot reach ${where}: ${message}`, { hint, cause: err });
}

/** The first line of an SDK error, without the transport's wrapping. */
function firstLine(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  if (/ECONNREFUSED|Connection refused/i.test(message)) return 'connection refused';
  return message.split('\n')[0]?.slice(0, 300) ?? message;
}
