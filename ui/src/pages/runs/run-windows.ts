import { keepPreviousData, useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';
import { type RunTablePage, type RunTableRow, searchRunTable } from '../../api/runs.ts';

/** Rows per request: a screenful or two, so the first rows show after one small answer. */
export const WINDOW = 100;

export interface RunWindowsQuery {
  experimentId: string;
  filter: string | undefined;
  orderBy: string[];
  columns: string[];
}

export interface RunWindows {
  /** Runs matching the search; undefined until the first window answered. */
  total: number | undefined;
  row(index: number): RunTableRow | undefined;
  error: unknown;
  fetching: boolean;
}

/**
 * The runs table as windows of WINDOW rows fetched on demand: only the windows that cover the
 * rows on screen (`from`–`to`) are requested, each once per search, and kept while scrolling.
 */
export function useRunWindows(q: RunWindowsQuery, from: number, to: number): RunWindows {
  const first = Math.floor(Math.max(0, from) / WINDOW);
  const last = Math.max(first, Math.floor(Math.max(0, to) / WINDOW));
  const wanted = useMemo(() => {
    const list = [0];
    for (let w = first; w <= last; w++) if (w !== 0) list.push(w);
    return list;
  }, [first, last]);
  const results = useQueries({
    queries: wanted.map((w) => ({
      queryKey: ['run-table', q.experimentId, q.filter ?? '', q.orderBy, q.columns, w],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        searchRunTable(
          {
            experimentIds: [q.experimentId],
            filter: q.filter,
            orderBy: q.orderBy,
            columns: q.columns,
            offset: w * WINDOW,
            limit: WINDOW,
          },
          signal,
        ),
      staleTime: 30_000,
      ...(w === 0 ? { placeholderData: keepPreviousData } : {}),
    })),
  });
  const pages = new Map<number, RunTablePage>();
  wanted.forEach((w, i) => {
    const data = results[i]?.data;
    if (data) pages.set(w, data);
  });
  const firstPage = results[0];
  return {
    total: firstPage?.data?.total,
    row: (index) => pages.get(Math.floor(index / WINDOW))?.runs[index % WINDOW],
    error: results.find((r) => r.error)?.error,
    fetching: results.some((r) => r.isFetching),
  };
}
