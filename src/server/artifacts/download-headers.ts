/** Extensions MLflow serves as text/plain (mlflow/utils/mime_type_utils.py). */
const TEXT = new Set(
  'txt log err cfg conf cnf cf ini properties prop hocon toml yaml yml xml json js py py3 csv tsv md rst ipynb MLmodel MLproject'.split(
    ' ',
  ),
);

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  html: 'text/html',
  htm: 'text/html',
  gz: 'application/gzip',
  zip: 'application/zip',
  tar: 'application/x-tar',
  parquet: 'application/octet-stream',
  onnx: 'application/octet-stream',
};

/** The MIME type MLflow's server gives a file of this name. */
export function guessMimeType(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const extension = dot <= 0 ? filename : filename.slice(dot + 1);
  if (TEXT.has(extension)) return 'text/plain';
  return TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Headers for sending an artifact: always as an attachment, never sniffed, so a browser does
 * not render uploaded HTML or SVG on the server's origin.
 */
export function attachmentHeaders(filename: string): Record<string, string> {
  const ascii = /^[\x20-\x7e]*$/.test(filename) && !/["\\]/.test(filename);
  const disposition = ascii
    ? `attachment; filename=${/^[A-Za-z0-9._-]+$/.test(filename) ? filename : `"${filename}"`}`
    : `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'download'}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
  return {
    'content-type': guessMimeType(filename),
    'content-disposition': disposition,
    'x-content-type-options': 'nosniff',
  };
}
