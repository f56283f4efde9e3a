/** Progress of long work, reported by domain operations and drawn (or ignored) by the shell. */
export interface ProgressEvent {
  /** What is happening, e.g. "hashing", "uploading". */
  phase: string;
  done: number;
  total: number;
  unit: 'files' | 'bytes' | 'objects' | 'stages' | 'iterations';
}

export type ProgressFn = (event: ProgressEvent) => void;
