import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { type ArtifactEntry, artifactUrl, fetchArtifact } from '../../api/artifacts.ts';
import { formatBytes } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';

/** Above these sizes a file is offered for download only: a preview never loads megabytes into the page. */
export const TEXT_PREVIEW_CAP = 1024 * 1024;
export const IMAGE_PREVIEW_CAP = 8 * 1024 * 1024;
const CSV_ROWS = 100;

type Kind = 'image' | 'json' | 'csv' | 'text' | 'binary';

const IMAGE = /\.(png|jpe?g|gif|webp|bmp)$/i;
const TEXT =
  /\.(txt|log|md|yaml|yml|toml|ini|cfg|py|ts|js|sh|xml|html?|err|out|MLmodel)$|(^|\/)(MLmodel|MLproject|requirements\.txt)$/i;

export function kindOf(path: string): Kind {
  if (IMAGE.test(path)) return 'image';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.(csv|tsv)$/i.test(path)) return 'csv';
  if (TEXT.test(path) || !/\.[^/]+$/.test(path)) return 'text';
  return 'binary';
}

/** RFC 4180 fields of the first `limit` records. */
export function parseCsv(text: string, separator: string, limit: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if ((field || row.length) && rows.length < limit) rows.push([...row, field]);
  return rows;
}

function ImagePreview({ blob, path }: { blob: Blob; path: string }) {
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return <img className="artifact-image" src={url} alt={path} />;
}

function TextPreview({ blob, kind }: { blob: Blob; kind: Kind }) {
  const text = useQuery({ queryKey: ['blob-text', blob], queryFn: () => blob.text() });
  if (!text.data) return <Loading what="the file" />;
  if (kind === 'json') {
    let pretty = text.data;
    try {
      pretty = JSON.stringify(JSON.parse(text.data), null, 2);
    } catch {
      // Not valid JSON: show it as it is.
    }
    return <pre className="artifact-text">{pretty}</pre>;
  }
  if (kind === 'csv') {
    const rows = parseCsv(text.data, /\.tsv$/i.test(String(blob.type)) ? '\t' : ',', CSV_ROWS + 1);
    const [head = [], ...body] = rows;
    return (
      <div className="table-scroll">
        <table className="data-table compact">
          <caption className="muted small">First {body.length} rows</caption>
          <thead>
            <tr>
              {head.map((h, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                <th key={i} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {body.map((r, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
              <tr key={i}>
                {r.map((v, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                  <td key={j}>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  return <pre className="artifact-text">{text.data}</pre>;
}

/** A file of a run's artifacts: shown when it is small enough to preview, always downloadable. */
export function ArtifactPreview({ runId, entry }: { runId: string; entry: ArtifactEntry }) {
  const kind = kindOf(entry.path);
  const size = entry.file_size ?? 0;
  const cap = kind === 'image' ? IMAGE_PREVIEW_CAP : TEXT_PREVIEW_CAP;
  const previewable = kind !== 'binary' && size <= cap;
  const blob = useQuery({
    queryKey: ['artifact', runId, entry.path],
    queryFn: ({ signal }) => fetchArtifact(runId, entry.path, signal),
    enabled: previewable,
    staleTime: Number.POSITIVE_INFINITY,
  });
  return (
    <div className="artifact-preview">
      <div className="panel-head">
        <h2 className="mono">{entry.path}</h2>
        <span className="muted">{formatBytes(size)}</span>
        <a className="button" href={artifactUrl(runId, entry.path)} download>
          Download
        </a>
      </div>
      {!previewable ? (
        <p className="muted">
          {kind === 'binary'
            ? 'No preview for this kind of file.'
            : `Too large to preview (over ${formatBytes(cap)}): download it instead.`}
        </p>
      ) : blob.error ? (
        <ErrorMessage error={blob.error} />
      ) : !blob.data ? (
        <Loading what="the file" />
      ) : kind === 'image' ? (
        <ImagePreview blob={blob.data} path={entry.path} />
      ) : (
        <TextPreview blob={blob.data} kind={kind} />
      )}
    </div>
  );
}
