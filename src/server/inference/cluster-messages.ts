import { CairnError, ERROR_CODES, type ErrorCode, isCairnError } from '../../kernel/errors.ts';

/**
 * Messages between the primary of `cairn serve --workers N` and its workers (node:cluster IPC,
 * JSON): the primary tells workers what to serve (`start`, then `prepare` / `commit` / `abort`
 * for a change), workers ask the primary to act for the whole cluster (`control`: an admin
 * apply, status, /metrics).
 */
/** The primary asks a worker. */
export interface CallRequest {
  cairn: 'call';
  op: 'prepare' | 'commit' | 'abort' | 'status';
  config?: unknown;
  prepared?: string;
}

/** A worker asks the primary. */
export interface ControlRequest {
  cairn: 'control';
  op: 'apply' | 'status' | 'metrics';
  config?: unknown;
}

export type ClusterMessage =
  | { cairn: 'booted' }
  | { cairn: 'start'; config: unknown }
  | { cairn: 'listening'; port: number }
  | { cairn: 'failed'; error: WireError }
  | (CallRequest & { id: number })
  | (ControlRequest & { id: number })
  | { cairn: 'reply'; id: number; ok: true; value: unknown }
  | { cairn: 'reply'; id: number; ok: false; error: WireError };

export interface WireError {
  code: string;
  message: string;
  hint?: string;
}

export function isClusterMessage(value: unknown): value is ClusterMessage {
  return (
    typeof value === 'object' && value !== null && typeof (value as { cairn?: unknown }).cairn === 'string'
  );
}

export function toWire(err: unknown): WireError {
  if (isCairnError(err))
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { code: 'INTERNAL', message: (err as Error)?.message ?? String(err) };
}

export function fromWire(wire: WireError): CairnError {
  const code = (wire.code in ERROR_CODES ? wire.code : 'INTERNAL') as ErrorCode;
  return new CairnError(code, wire.message, wire.hint ? { hint: wire.hint } : {});
}

/** Request/reply over one IPC channel: `call` sends and waits for the reply with the same id. */
export class IpcCalls {
  readonly #send: (message: ClusterMessage) => void;
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();

  constructor(send: (message: ClusterMessage) => void) {
    this.#send = send;
  }

  call(message: CallRequest | ControlRequest): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#send({ ...message, id });
      } catch (err) {
        this.#pending.delete(id);
        reject(err);
      }
    });
  }

  /** Settles the call a reply answers; false when the message is not a reply. */
  settle(message: ClusterMessage): boolean {
    if (message.cairn !== 'reply') return false;
    const pending = this.#pending.get(message.id);
    if (!pending) return true;
    this.#pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(fromWire(message.error));
    return true;
  }

  /** Fails every call still waiting (the other side went away). */
  failAll(err: unknown): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

/** Runs `fn` for a call or control message and sends its reply. */
export async function answer(
  send: (message: ClusterMessage) => void,
  id: number,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    send({ cairn: 'reply', id, ok: true, value: await fn() });
  } catch (err) {
    send({ cairn: 'reply', id, ok: false, error: toWire(err) });
  }
}
