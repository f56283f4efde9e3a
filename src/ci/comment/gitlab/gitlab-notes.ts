import { type PrComment, ProviderError, type PullRequestComments } from '../pull-request-comments.ts';

export interface GitlabTarget {
  /** CI_API_V4_URL, e.g. `https://gitlab.com/api/v4`. */
  apiUrl: string;
  /** CI_PROJECT_ID (a number) or the project's path. */
  project: string;
  /** CI_MERGE_REQUEST_IID. */
  mergeRequest: number;
}

/** How to authenticate: a project or personal access token, or the job's own token. */
export type GitlabToken = { kind: 'private'; value: string } | { kind: 'job'; value: string };

const PAGE = 100;

/**
 * A merge request's notes through GitLab's REST API (notes of merge requests: list, create,
 * edit, delete), with `fetch`. System notes (pushes, label changes) are left out of the list.
 */
export class GitlabNotes implements PullRequestComments {
  readonly where: string;
  readonly #target: GitlabTarget;
  readonly #headers: Record<string, string>;

  constructor(target: GitlabTarget, token: GitlabToken) {
    this.#target = target;
    this.where = `GitLab project ${target.project} !${target.mergeRequest}`;
    this.#headers = {
      ...(token.kind === 'private' ? { 'PRIVATE-TOKEN': token.value } : { 'JOB-TOKEN': token.value }),
      Accept: 'application/json',
      'User-Agent': 'cairn-ci',
    };
  }

  async list(): Promise<PrComment[]> {
    const out: PrComment[] = [];
    for (let page = 1; ; page++) {
      const notes = (await this.#call(
        'GET',
        `?sort=asc&order_by=created_at&per_page=${PAGE}&page=${page}`,
      )) as { id: number; body: string; system?: boolean }[];
      out.push(...notes.filter((n) => !n.system).map((n) => ({ id: n.id, body: n.body })));
      if (notes.length < PAGE) return out;
    }
  }

  async create(body: string): Promise<PrComment> {
    const note = (await this.#call('POST', '', { body })) as { id: number; body: string };
    return { id: note.id, body: note.body };
  }

  async update(id: number, body: string): Promise<PrComment> {
    const note = (await this.#call('PUT', `/${id}`, { body })) as { id: number; body: string };
    return { id: note.id, body: note.body };
  }

  async remove(id: number): Promise<void> {
    await this.#call('DELETE', `/${id}`);
  }

  async #call(method: string, tail: string, body?: unknown): Promise<unknown> {
    const { apiUrl, project, mergeRequest } = this.#target;
    const url = `${apiUrl.replace(/\/+$/, '')}/projects/${encodeURIComponent(project)}/merge_requests/${mergeRequest}/notes${tail}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...this.#headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new ProviderError(0, `no answer from ${apiUrl}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new ProviderError(res.status, gitlabMessage(text) ?? res.statusText);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

/** GitLab's error bodies: `{"message": "..."}` (a string or an object of field errors) or `{"error": "..."}`. */
function gitlabMessage(text: string): string | undefined {
  try {
    const value = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = value.message ?? value.error;
    if (typeof m === 'string') return m;
    if (m !== undefined) return JSON.stringify(m);
  } catch {}
  return text.trim() === '' ? undefined : text.trim().slice(0, 200);
}
