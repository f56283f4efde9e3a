/** GitHub's limits: a comment's body (characters) and a job step's summary (bytes). */
export const GITHUB_COMMENT_LIMIT = 65_536;
export const STEP_SUMMARY_LIMIT = 1024 * 1024;
/** GitLab's limit on a note's body (characters). */
export const GITLAB_NOTE_LIMIT = 1_000_000;

/**
 * `markdown` cut to at most `limit` characters (or UTF-8 bytes with `unit: 'bytes'`) at a line
 * boundary, with a closing line that says so and where the whole report is. Unchanged when it fits.
 */
export function fitMarkdown(
  markdown: string,
  limit: number,
  options: {
    unit?: 'chars' | 'bytes';
    fullReport?: string /** The limit to name, when `limit` leaves room for more. */;
    named?: number;
  } = {},
): { text: string; truncated: boolean } {
  const size = (s: string) => (options.unit === 'bytes' ? Buffer.byteLength(s) : s.length);
  if (size(markdown) <= limit) return { text: markdown, truncated: false };
  const where = options.fullReport ? `: the whole report is at ${options.fullReport}` : '';
  const note = `\n\n---\n\n> ✂️ This report was cut to fit the ${(options.named ?? limit).toLocaleString('en-US')}-${options.unit === 'bytes' ? 'byte' : 'character'} limit${where}.\n`;
  const room = limit - size(note);
  let cut = markdown.slice(0, Math.max(0, room));
  while (size(cut) > room) cut = cut.slice(0, cut.length - Math.max(1, size(cut) - room));
  const lastLine = cut.lastIndexOf('\n');
  if (lastLine > 0) cut = cut.slice(0, lastLine);
  // An unclosed code fence would swallow the note.
  if ((cut.match(/^```/gm)?.length ?? 0) % 2 === 1) cut += '\n```';
  return { text: `${cut}${note}`, truncated: true };
}
