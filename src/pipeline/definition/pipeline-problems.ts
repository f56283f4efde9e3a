import { errors } from '../../kernel/errors.ts';

/** One thing wrong with the pipeline definition, at a file and line. */
export interface Problem {
  file: string;
  line: number;
  message: string;
}

/**
 * Collects every problem found while loading a pipeline, so that the user sees them all at once
 * instead of fixing them one run at a time.
 */
export class PipelineProblems {
  readonly list: Problem[] = [];
  readonly #seen = new Set<string>();

  /**
   * Records a problem. `dedupe` groups problems that are the same mistake seen several times (one
   * template line checked once per expanded stage): only the first of a group is kept.
   */
  add(file: string, line: number, message: string, dedupe?: string): void {
    const key = dedupe ?? `${file}:${line}:${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.list.push({ file, line, message });
  }

  get size(): number {
    return this.list.length;
  }

  /** Throws one INVALID_ARGUMENT error listing every problem, each on its own line with file:line. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort((a, b) =>
      a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1,
    );
    const lines = sorted.map((p) => `${p.file}:${p.line}: ${p.message}`);
    const files = [...new Set(sorted.map((p) => p.file))];
    const subject = files.length === 1 ? files[0] : 'the pipeline';
    const message =
      lines.length === 1
        ? (lines[0] as string)
        : `${subject} has ${lines.length} problems:\n  ${lines.join('\n  ')}`;
    throw errors.invalid(message, { details: { problems: sorted } });
  }
}

/** ` (did you mean "deps"?)` when one of `candidates` is close to `word`, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  // Replacing every letter is no "near miss": `b` does not suggest `a`.
  const near =
    best !== undefined && bestDistance <= limit && bestDistance < Math.min(word.length, best.length);
  return near ? ` (did you mean "${best}"?)` : '';
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counted as one. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(a.length, b.length);
}
