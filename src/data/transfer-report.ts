import type { Digest } from '../kernel/hashing.ts';
import type { OperationOptions } from './data-context.ts';

export interface TransferOptions extends OperationOptions {
  /** Remote name; the default remote when omitted. */
  remote?: string;
}

export interface TransferFailure {
  path: string;
  digest?: Digest;
  code: string;
  message: string;
}

export interface TransferReport {
  remote: string;
  /** Objects the paths need in all. */
  objects: number;
  /** Objects moved this time (the rest were there already). */
  transferred: number;
  bytes: number;
  failures: TransferFailure[];
  /** With `push --verify`: objects the remote had that were read back and hashed. */
  verified?: number;
  /** With `push --verify`: objects on the remote whose content did not match their hash. */
  corrupt?: number;
  /** With `push --verify`: corrupt (or vanished) objects on the remote replaced from the cache. */
  repaired?: number;
}

/** Errors that stop a whole transfer rather than one object. */
export function fatalTransferError(code: string): boolean {
  return (
    code === 'UNAVAILABLE' ||
    code === 'PERMISSION_DENIED' ||
    code === 'UNAUTHENTICATED' ||
    code === 'RESOURCE_EXHAUSTED'
  );
}
