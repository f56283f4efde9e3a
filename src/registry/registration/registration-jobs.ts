import { isCairnError } from '../../kernel/errors.ts';
import { LINEAGE_TAGS } from '../lineage/lineage-tags.ts';
import { hashModelPackage, type PackageFiles } from '../lineage/package-hash.ts';
import type { RegistryStore } from '../registry-store.ts';
import type { RegistrationOutcome } from '../registry-types.ts';

/** The versions whose package is being hashed, one at a time per version. */
export interface RegistrationJobsOptions {
  registry: RegistryStore;
  /** Hashes at once at most (default 2): each reads a whole package. */
  concurrency?: number;
  /** Told about a registration that could not be finished (the store failed); it stays pending. */
  onError?: (err: unknown, version: { name: string; version: string }) => void;
}

/**
 * Finishes versions created PENDING_REGISTRATION off the request path: reads and hashes the
 * package, then records `cairn.package_hash` and READY — or FAILED_REGISTRATION with the reason
 * when the files cannot be read. After `stop()` nothing more is written: a version whose hash was
 * cut short stays pending, and the next start of a server finishes it.
 */
export class RegistrationJobs {
  readonly #registry: RegistryStore;
  readonly #concurrency: number;
  readonly #onError: RegistrationJobsOptions['onError'];
  readonly #jobs = new Map<string, Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  #stopped = false;
  #onStop: () => void = () => undefined;
  /** Settles when stop() is called: a hash in flight is not waited for. */
  readonly #stopping = new Promise<'stopped'>((resolve) => {
    this.#onStop = () => resolve('stopped');
  });

  constructor(options: RegistrationJobsOptions) {
    this.#registry = options.registry;
    this.#concurrency = Math.max(1, options.concurrency ?? 2);
    this.#onError = options.onError;
  }

  /** Versions being hashed now (by this process). */
  get active(): number {
    return this.#jobs.size;
  }

  /** True while `name`/`version` is being finished by this process. */
  has(name: string, version: string): boolean {
    return this.#jobs.has(keyOf(name, version));
  }

  /**
   * Starts finishing a pending version whose files are `files` (undefined: they cannot be read
   * any more, and the registration fails). The promise settles when it is finished (or given
   * up on after `stop()`); it never rejects.
   */
  start(name: string, version: string, files: PackageFiles | undefined, source: string): Promise<void> {
    const key = keyOf(name, version);
    const known = this.#jobs.get(key);
    if (known) return known;
    const job = this.#run(name, version, files, source).finally(() => this.#jobs.delete(key));
    this.#jobs.set(key, job);
    return job;
  }

  /** Stops writing outcomes and waits for the jobs in flight to let go. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#onStop();
    for (const wake of this.#waiting.splice(0)) wake();
    await Promise.allSettled([...this.#jobs.values()]);
  }

  async #run(name: string, version: string, files: PackageFiles | undefined, source: string): Promise<void> {
    await this.#slot();
    try {
      if (this.#stopped) return;
      let outcome: RegistrationOutcome;
      if (!files)
        outcome = {
          status: 'FAILED_REGISTRATION',
          status_message: `the package at ${source} is not in this server's artifact store, so it cannot be hashed`,
        };
      else
        try {
          const hashing = hashModelPackage(files);
          hashing.catch(() => undefined);
          const hash = await Promise.race([hashing, this.#stopping]);
          if (hash === 'stopped') return;
          outcome = {
            status: 'READY',
            ...(hash ? { tags: [{ key: LINEAGE_TAGS.packageHash, value: hash.digest }] } : {}),
          };
        } catch (err) {
          if (this.#stopped) return;
          const why = isCairnError(err) || err instanceof Error ? err.message : String(err);
          outcome = {
            status: 'FAILED_REGISTRATION',
            status_message: `could not read the package at ${source} to hash it: ${why}`,
          };
        }
      if (this.#stopped) return;
      await this.#registry.finishModelVersionRegistration?.(name, version, outcome);
    } catch (err) {
      this.#onError?.(err, { name, version });
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  async #slot(): Promise<void> {
    while (this.#running >= this.#concurrency && !this.#stopped)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
  }
}

function keyOf(name: string, version: string): string {
  return `${version}\u0000${name}`;
}
