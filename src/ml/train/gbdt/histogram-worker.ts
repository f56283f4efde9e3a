/**
 * A histogram thread (see histogram-threads.ts): waits on the shared control block, builds the
 * partial histograms of its chunks of each large pass, and reports them done.
 */
import { workerData } from 'node:worker_threads';
import { buildHistogram, FEATURE_STRIDE } from './histogram.ts';
import { CONTROL, chunkRange, HISTOGRAM_CHUNKS } from './histogram-threads.ts';

interface Shared {
  bins: Uint8Array;
  rows: Int32Array;
  gh: Float64Array;
  features: number;
  control: Int32Array;
  partials: Float64Array;
  index: number;
  threads: number;
}

const { bins, rows, gh, features, control, partials, index, threads } = workerData as Shared;
const stride = features * FEATURE_STRIDE;
// 0, not the current value: a pass posted before this thread started must still be taken.
let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.seq, seen);
  seen = Atomics.load(control, CONTROL.seq);
  if (Atomics.load(control, CONTROL.stop) === 1) break;
  const start = Atomics.load(control, CONTROL.start);
  const end = Atomics.load(control, CONTROL.end);
  for (let c = index; c < HISTOGRAM_CHUNKS; c += threads) {
    const [s, e] = chunkRange(start, end, c);
    buildHistogram(partials.subarray(c * stride, (c + 1) * stride), bins, features, rows, s, e, gh);
  }
  Atomics.add(control, CONTROL.done, 1);
  Atomics.notify(control, CONTROL.done);
}
