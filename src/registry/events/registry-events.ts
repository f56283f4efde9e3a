import type { Logger } from '../../kernel/logging.ts';

/**
 * What happened in the registry, after it was committed. The `type` strings are MLflow's webhook
 * event names (`entity.action`) for MLflow's events, and Cairn's own for the rest:
 * `gate_result.created` (a gate result recorded on a version), `deployment.applied` and
 * `deployment.rolled_back` (published by deployments).
 */
export type RegistryEvent =
  | {
      type: 'registered_model.created';
      name: string;
      tags: Record<string, string>;
      description: string | null;
    }
  | {
      type: 'model_version.created';
      name: string;
      version: string;
      source: string;
      run_id: string | null;
      tags: Record<string, string>;
      description: string | null;
    }
  | { type: 'model_version_tag.set'; name: string; version: string; key: string; value: string }
  | { type: 'model_version_tag.deleted'; name: string; version: string; key: string }
  /** An alias set on a version, new or moved from another version (`previous_version`). */
  | {
      type: 'model_version_alias.created';
      name: string;
      alias: string;
      version: string;
      previous_version?: string;
    }
  | { type: 'model_version_alias.deleted'; name: string; alias: string }
  | {
      type: 'gate_result.created';
      name: string;
      version: string;
      gate: string;
      passed: boolean;
      check_id: string;
    }
  | {
      type: 'deployment.applied' | 'deployment.rolled_back';
      deployment: string;
      revision: string;
      /** The model versions the deployment serves after the change, `models:/name/version`. */
      models: string[];
    };

export type RegistryEventType = RegistryEvent['type'];

/** The payload of an event: the event without its type. */
export type RegistryEventData<T extends RegistryEventType = RegistryEventType> = Omit<
  Extract<RegistryEvent, { type: T }>,
  'type'
>;

export type RegistryListener = (event: RegistryEvent) => void | Promise<void>;

/**
 * The registry's event hook: stores wrapped by `withRegistryEvents` (and the promotion and deploy
 * code) publish here after a change is committed; webhooks, and a controller that follows an
 * alias, subscribe. A listener never delays or fails the change that caused the event: it is
 * called after the publisher's work, and what it throws or rejects with is logged and dropped.
 *
 * @example
 * const events = new RegistryEvents(log);
 * events.subscribe((e) => {
 *   if (e.type === 'model_version_alias.created' && e.alias === 'champion') deployFollowers(e.name, e.version);
 * });
 */
export class RegistryEvents {
  readonly #listeners = new Set<RegistryListener>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Adds a listener; the function returned removes it. */
  subscribe(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands the event to every listener on a later turn of the event loop, and returns at once. */
  publish(event: RegistryEvent): void {
    for (const listener of this.#listeners)
      setImmediate(() => {
        try {
          const result = listener(event);
          if (result instanceof Promise)
            result.catch((err: unknown) =>
              this.#log.error({ err, event: event.type }, 'event listener failed'),
            );
        } catch (err) {
          this.#log.error({ err, event: event.type }, 'event listener failed');
        }
      });
  }
}
