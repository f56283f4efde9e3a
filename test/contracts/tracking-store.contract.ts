import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { TrackingStore } from '../../src/tracking/tracking-store.ts';
import { experimentCases } from './tracking-store/experiment-cases.ts';
import { historyCases } from './tracking-store/history-cases.ts';
import { loggingCases } from './tracking-store/logging-cases.ts';
import { runCases } from './tracking-store/run-cases.ts';
import { searchRunCases } from './tracking-store/search-run-cases.ts';
import type { TrackingContext } from './tracking-store/support.ts';

/**
 * The behaviour every TrackingStore must have: what a user of MLflow's tracking API would notice.
 * It runs against the SQL store on each database and against an HTTP client talking to Cairn's
 * server, so it uses only the TrackingStore interface. `open` may return a store on a database
 * that other suites use too: every case works in experiments of its own, named uniquely.
 */
export function describeTrackingStore(
  name: string,
  factory: { open(): Promise<TrackingStore>; close?(): Promise<void> },
  options: { skip?: string | false } = {},
): void {
  describe(`TrackingStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let store: TrackingStore | undefined;
    const suffix = randomBytes(4).toString('hex');
    let counter = 0;
    const ctx: TrackingContext = {
      get store() {
        if (!store) throw new Error('the store is not open');
        return store;
      },
      name: (label) => `${label}-${suffix}-${++counter}`,
    };
    before(async () => {
      store = await factory.open();
    });
    after(async () => {
      await factory.close?.();
    });

    describe('experiments', () => experimentCases(ctx));
    describe('runs', () => runCases(ctx));
    describe('logging', () => loggingCases(ctx));
    describe('metric histories of many runs', () => historyCases(ctx));
    describe('searching runs', () => searchRunCases(ctx));
  });
}
