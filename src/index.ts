/**
 * Cairn as a library: the same operations the `cairn` CLI runs, for scripts and services.
 *
 * @example
 * import { loadConfig, openWorkspace, addPaths } from 'cairn-mlops';
 * const config = await loadConfig({ root });
 * const ws = await openWorkspace(root, config, { log: silentLogger });
 * await addPaths(ws.data, root, ['data/raw.csv']);
 * await ws.close();
 *
 * @example
 * import { Tracking } from 'cairn-mlops';
 * const tracking = await Tracking.fromEnv();
 * await tracking.startRun({ experiment: 'churn' });
 * tracking.logMetric('auc', 0.91, { step: 3 });
 * await tracking.endRun();
 */
export type { BlobSource, BlobStore } from './blobs/blob-store.ts';
export { openBlobStore, parseBlobUrl } from './blobs/open-blob-store.ts';
export { type AddResult, addPaths } from './data/add.ts';
export { type CheckoutOptions, type CheckoutResult, checkoutPaths } from './data/checkout.ts';
export { collectGarbage, type GcOptions, type GcReport } from './data/gc.ts';
export { type DataProfile, profileTable } from './data/profile/data-profile.ts';
export { type PathStatus, type StatusReport, statusOf } from './data/status.ts';
export { fetchPaths, pullPaths, pushPaths, type TransferReport } from './data/transfer.ts';
export { type CairnConfig, loadConfig } from './kernel/config.ts';
export { CairnError, ERROR_CODES, type ErrorCode, isCairnError } from './kernel/errors.ts';
export { type Digest, sha256, sha256File } from './kernel/hashing.ts';
export { type Logger, silentLogger } from './kernel/logging.ts';
export type {
  CairnSection,
  ClassLabel,
  ModelPackage,
  ModelTask,
  SignatureInput,
  SignatureOutput,
} from './ml/package/package-types.ts';
export { readModelPackage } from './ml/package/read-package.ts';
export { OnnxRuntime, type RuntimeOptions } from './ml/runtime/onnx-runtime.ts';
export type { Prediction } from './ml/runtime/prediction.ts';
export { readTable, type TableFile } from './ml/table/read-table.ts';
export { type Column, type Table, tableFromRecords } from './ml/table/table.ts';
export {
  type ConnectOptions,
  type LogInputOptions,
  type LogMetricOptions,
  type StartRunOptions,
  Tracking,
} from './sdk/tracking.ts';
export { resolveTrackingTarget, type TrackingTarget } from './sdk/tracking-uri.ts';
export { MODEL_ARTIFACT_PATH, type TrainOptions, type TrainResult, train } from './sdk/train.ts';
export type { MetadataStore } from './store/metadata-store.ts';
export { openMetadataStore } from './store/open-metadata-store.ts';
export type { TrackingStore } from './tracking/tracking-store.ts';
export type { Experiment, Metric, Run, RunInfo, RunStatus } from './tracking/tracking-types.ts';
export { initWorkspace } from './workspace/init-workspace.ts';
export { openWorkspace, type Workspace } from './workspace/open-workspace.ts';
