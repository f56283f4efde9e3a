import type { Cluster, Worker } from 'node:cluster';
import { errors } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import type { ServingStatus } from '../../serving/serving-status.ts';
import { answer, type ClusterMessage, fromWire, IpcCalls, isClusterMessage } from './cluster-messages.ts';

interface Member {
  worker: Worker;
  calls: IpcCalls;
  listening: boolean;
}

export interface ClusterPrimaryOptions {
  workers: number;
  /** The configuration every worker starts with. */
  config: unknown;
  log: Logger;
  /** Aggregated /metrics of every worker. */
  metrics: () => Promise<{ contentType: string; text: string }>;
}

/**
 * The primary of `cairn serve --workers N`: forks the workers (they share the listening port
 * through node:cluster), gives each the configuration to serve, replaces a worker that dies,
 * applies a new configuration to all of them in two phases (every worker loads and warms up the
 * new versions; only when all succeeded do they switch, else they all drop them), and stops
 * them on shutdown. It loads no model itself.
 */
export class ClusterPrimary {
  readonly #cluster: Cluster;
  readonly #options: ClusterPrimaryOptions;
  readonly #members = new Map<number, Member>();
  #config: unknown;
  #stopping = false;
  #applying: Promise<unknown> = Promise.resolve();
  #startup: { resolve(port: number): void; reject(err: unknown): void } | undefined;
  #port = 0;

  constructor(cluster: Cluster, options: ClusterPrimaryOptions) {
    this.#cluster = cluster;
    this.#options = options;
    this.#config = options.config;
  }

  /** Forks the workers; resolves with the port once every worker serves, or rejects with the first failure. */
  start(): Promise<number> {
    const started = new Promise<number>((resolve, reject) => {
      this.#startup = { resolve, reject };
    });
    this.#cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    for (let i = 0; i < this.#options.workers; i++) this.#fork();
    return started;
  }

  #fork(): void {
    const worker = this.#cluster.fork();
    const member: Member = {
      worker,
      calls: new IpcCalls((m) => worker.send(m)),
      listening: false,
    };
    this.#members.set(worker.id, member);
    worker.on('message', (message: unknown) => {
      if (isClusterMessage(message)) void this.#onMessage(member, message);
    });
  }

  async #onMessage(member: Member, message: ClusterMessage): Promise<void> {
    const send = (m: ClusterMessage) => member.worker.send(m);
    if (member.calls.settle(message)) return;
    switch (message.cairn) {
      case 'booted':
        send({ cairn: 'start', config: this.#config });
        return;
      case 'listening':
        member.listening = true;
        this.#port = message.port;
        if (this.#startup && [...this.#members.values()].every((m) => m.listening)) {
          this.#startup.resolve(message.port);
          this.#startup = undefined;
        }
        return;
      case 'failed':
        if (this.#startup) {
          this.#startup.reject(fromWire(message.error));
          this.#startup = undefined;
          await this.stop();
        } else this.#options.log.error({ error: message.error }, 'a replacement worker could not start');
        return;
      case 'control':
        await answer(send, message.id, async () => {
          if (message.op === 'apply') return this.apply(message.config);
          if (message.op === 'metrics') return this.#options.metrics();
          return this.status();
        });
        return;
      default:
        return;
    }
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const member = this.#members.get(worker.id);
    this.#members.delete(worker.id);
    member?.calls.failAll(errors.unavailable(`worker ${worker.process.pid} exited`));
    if (this.#stopping) return;
    if (this.#startup) {
      this.#startup.reject(
        errors.unavailable(`a serving worker exited while starting (${signal ?? `exit code ${code}`})`),
      );
      this.#startup = undefined;
      void this.stop();
      return;
    }
    this.#options.log.warn(
      { pid: worker.process.pid, code, signal },
      'serving worker exited; starting another',
    );
    this.#fork();
  }

  get port(): number {
    return this.#port;
  }

  /** The status of one worker (all serve the same configuration). */
  async status(): Promise<ServingStatus> {
    const member = [...this.#members.values()].find((m) => m.listening);
    if (!member) throw errors.unavailable('no serving worker is running');
    return (await member.calls.call({ cairn: 'call', op: 'status' })) as ServingStatus;
  }

  /** Two-phase apply across the workers; see the class comment. */
  apply(config: unknown): Promise<ServingStatus> {
    const run = this.#applying.then(async () => {
      const members = [...this.#members.values()].filter((m) => m.listening);
      if (members.length === 0) throw errors.unavailable('no serving worker is running');
      const prepared = await Promise.allSettled(
        members.map(async (m) => (await m.calls.call({ cairn: 'call', op: 'prepare', config })) as string),
      );
      const failed = prepared.find((p): p is PromiseRejectedResult => p.status === 'rejected');
      if (failed) {
        await Promise.allSettled(
          members.map((m, i) => {
            const p = prepared[i];
            return p?.status === 'fulfilled'
              ? m.calls.call({ cairn: 'call', op: 'abort', prepared: p.value })
              : Promise.resolve();
          }),
        );
        throw failed.reason;
      }
      const statuses = await Promise.all(
        members.map(
          (m, i) =>
            m.calls.call({
              cairn: 'call',
              op: 'commit',
              prepared: (prepared[i] as PromiseFulfilledResult<string>).value,
            }) as Promise<ServingStatus>,
        ),
      );
      this.#config = config;
      return statuses[0] as ServingStatus;
    });
    this.#applying = run.catch(() => undefined);
    return run;
  }

  /** Stops every worker (each finishes its requests in flight) and resolves when all have exited. */
  async stop(): Promise<boolean> {
    this.#stopping = true;
    const exits = [...this.#members.values()].map(
      (m) =>
        new Promise<boolean>((resolve) => {
          if (m.worker.isDead()) return resolve(true);
          m.worker.once('exit', (code) => resolve(code === 0));
          m.worker.process.kill('SIGTERM');
        }),
    );
    return (await Promise.all(exits)).every(Boolean);
  }
}
