import type { Digest } from '../kernel/hashing.ts';
import type { ModelState } from './runtime/served-model.ts';

/** A served model version, as status reports show it. */
export interface ModelStatus {
  uri: string;
  name: string;
  version: string;
  package_hash: Digest;
  /** true: the files hash to what the registry recorded; null: nothing recorded (a directory, or a version registered without one). */
  verified: boolean | null;
  source: 'directory' | 'registry';
  loaded_at: string;
  load_seconds: number;
  state: ModelState;
  queue_depth: number;
}

export interface VariantStatus {
  name: string;
  role: 'variant' | 'shadow';
  weight?: number;
  sample?: number;
  model: ModelStatus;
}

export interface EndpointStatus {
  name: string;
  sticky?: string;
  variants: VariantStatus[];
}

/** What a server serves now (`GET /api/v1/serving`, `InferenceService.status()`). */
export interface ServingStatus {
  ready: boolean;
  endpoints: EndpointStatus[];
}
