/**
 * One column's work, the unit that `DriftPool` hands to a worker thread: summarize a column, or
 * compare a current column (raw or summarized) with its reference summary.
 */
import type { Column } from '../columns.ts';
import { type ColumnSummary, type SummaryOptions, summarizeColumn } from './column-summary.ts';
import { type ColumnDrift, compareColumn } from './detect-drift.ts';
import type { ColumnChoice } from './select-method.ts';

export type ColumnTask =
  | { kind: 'summarize'; column: Column; options: SummaryOptions }
  | { kind: 'compare'; reference: ColumnSummary; current: Column | ColumnSummary; choice: ColumnChoice };

export type ColumnTaskResult = ColumnSummary | ColumnDrift;

function isSummary(x: Column | ColumnSummary): x is ColumnSummary {
  return 'rows' in x;
}

export function runColumnTask(task: ColumnTask): ColumnTaskResult {
  if (task.kind === 'summarize') return summarizeColumn(task.column, task.options);
  const current = isSummary(task.current)
    ? task.current
    : summarizeColumn(task.current, { maxSamplePoints: Number.POSITIVE_INFINITY });
  return compareColumn(task.reference, current, task.choice);
}

/** Roughly how much work a task is, to hand the largest out first. */
export function taskCost(task: ColumnTask): number {
  const of = (c: Column | ColumnSummary): number =>
    'rows' in c ? c.rows : c.kind === 'numeric' ? c.values.length * 4 : c.codes.length;
  return task.kind === 'summarize' ? of(task.column) : of(task.current) + of(task.reference);
}
