import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GITLAB_NOTES_API } from './gitlab-notes-openapi.ts';
import {
  type OpenApiDocument,
  OpenApiStandin,
  type StandinReply,
  type StandinRequest,
} from './openapi-standin.ts';

interface Comment {
  id: number;
  body: string;
}

/** What the stand-ins share: the conversation per request, faults to inject, who may write. */
export class ProviderState {
  readonly threads = new Map<number, Comment[]>();
  /** operationId → statuses to answer with next (each used once). */
  readonly faults = new Map<string, number[]>();
  /** Tokens that may read, and those that may also write. */
  readonly readers = new Set<string>();
  readonly writers = new Set<string>();
  /** Runs before a comment is created: a test adds another run's comment here to race. */
  beforeCreate: ((thread: Comment[]) => void) | undefined;
  #next = 1000;

  thread(n: number): Comment[] {
    const t = this.threads.get(n) ?? [];
    this.threads.set(n, t);
    return t;
  }

  failNext(operationId: string, ...statuses: number[]): void {
    this.faults.set(operationId, [...(this.faults.get(operationId) ?? []), ...statuses]);
  }

  fault(operationId: string): number | undefined {
    const queue = this.faults.get(operationId);
    return queue?.shift();
  }

  nextId(): number {
    return this.#next++;
  }
}

let githubDoc: OpenApiDocument | undefined;

/** GitHub's REST API description from `@octokit/openapi` (GitHub's own, published on npm). */
export function githubDescription(): OpenApiDocument {
  if (!githubDoc) {
    const path = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    githubDoc = JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument;
  }
  return githubDoc;
}

const GITHUB_ERRORS: Record<number, string> = {
  401: 'Bad credentials',
  403: 'Resource not accessible by integration',
  404: 'Not Found',
  422: 'Validation Failed',
  500: 'Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** A GitHub stand-in for issue comments on `owner/repo`, checked against GitHub's description. */
export function githubStandin(state: ProviderState, repo = 'acme/churn'): OpenApiStandin {
  const standin = new OpenApiStandin(githubDescription(), (req) => githubAnswer(state, repo, req));
  return standin;
}

function githubAnswer(state: ProviderState, repo: string, req: StandinRequest): StandinReply {
  const error = (status: number): StandinReply => ({
    status,
    body: { message: GITHUB_ERRORS[status] ?? 'Error', documentation_url: 'https://docs.github.com/rest' },
  });
  const token = /^(?:token|bearer) (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!token || !(state.readers.has(token) || state.writers.has(token))) return error(401);
  const injected = state.fault(req.operationId);
  if (injected !== undefined) return error(injected);
  if (`${req.params.owner}/${req.params.repo}` !== repo) return error(404);
  const write = req.method !== 'GET';
  if (write && !state.writers.has(token)) return error(403);
  const json = (c: Comment) => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `https://api.github.com/repos/${repo}/issues/comments/${c.id}`,
    html_url: `https://github.com/${repo}/pull/1#issuecomment-${c.id}`,
    body: c.body,
    user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    author_association: 'NONE',
  });
  const find = (id: number) => {
    for (const t of state.threads.values()) {
      const c = t.find((x) => x.id === id);
      if (c) return { thread: t, comment: c };
    }
    return undefined;
  };
  switch (req.operationId) {
    case 'issues/list-comments': {
      const all = state.threads.get(Number(req.params.issue_number));
      if (!all) return error(404);
      const perPage = Number(req.query.per_page ?? 30);
      const page = Number(req.query.page ?? 1);
      return { status: 200, body: all.slice((page - 1) * perPage, page * perPage).map(json) };
    }
    case 'issues/create-comment': {
      const thread = state.threads.get(Number(req.params.issue_number));
      if (!thread) return error(404);
      state.beforeCreate?.(thread);
      const c = { id: state.nextId(), body: (req.body as { body: string }).body };
      thread.push(c);
      return { status: 201, body: json(c) };
    }
    case 'issues/update-comment': {
      const found = find(Number(req.params.comment_id));
      if (!found) return error(404);
      found.comment.body = (req.body as { body: string }).body;
      return { status: 200, body: json(found.comment) };
    }
    case 'issues/delete-comment': {
      const found = find(Number(req.params.comment_id));
      if (!found) return error(404);
      found.thread.splice(found.thread.indexOf(found.comment), 1);
      return { status: 204 };
    }
    default:
      return { status: 599, body: { message: `the stand-in does not serve ${req.operationId}` } };
  }
}

/** A GitLab stand-in for merge-request notes of project `project`, checked against the notes subset. */
export function gitlabStandin(state: ProviderState, project = '42'): OpenApiStandin {
  return new OpenApiStandin(GITLAB_NOTES_API, (req) => gitlabAnswer(state, project, req));
}

function gitlabAnswer(state: ProviderState, project: string, req: StandinRequest): StandinReply {
  const error = (status: number, message?: string): StandinReply => ({
    status,
    body: {
      message:
        message ??
        `${status} ${status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : status === 401 ? 'Unauthorized' : 'Error'}`,
    },
  });
  const token = String(req.headers['private-token'] ?? req.headers['job-token'] ?? '');
  if (!token || !(state.readers.has(token) || state.writers.has(token))) return error(401);
  const injected = state.fault(req.operationId);
  if (injected !== undefined)
    return error(injected, injected === 422 ? 'Note {:note=>["is too long"]}' : undefined);
  if (req.params.id !== project) return error(404, '404 Project Not Found');
  const thread = state.threads.get(Number(req.params.noteable_id));
  if (!thread) return error(404, '404 Merge Request Not Found');
  if (req.method !== 'GET' && !state.writers.has(token)) return error(403);
  const json = (c: Comment) => ({
    id: c.id,
    type: null,
    body: c.body,
    author: { id: 1, username: 'project_42_bot' },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    system: false,
    noteable_type: 'MergeRequest',
    noteable_iid: Number(req.params.noteable_id),
  });
  const noteId = Number(req.params.note_id);
  switch (req.operationId) {
    case 'getApiV4ProjectsIdMergeRequestsNoteableIdNotes': {
      const perPage = Number(req.query.per_page ?? 20);
      const page = Number(req.query.page ?? 1);
      // A system note, as GitLab lists pushes and label changes among the notes.
      const all = [{ id: 1, body: 'added 1 commit', system: true }, ...thread.map(json)];
      return { status: 200, body: all.slice((page - 1) * perPage, page * perPage) };
    }
    case 'postApiV4ProjectsIdMergeRequestsNoteableIdNotes': {
      state.beforeCreate?.(thread);
      const c = { id: state.nextId(), body: (req.body as { body: string }).body };
      thread.push(c);
      return { status: 201, body: json(c) };
    }
    case 'putApiV4ProjectsIdMergeRequestsNoteableIdNotesNoteId': {
      const c = thread.find((x) => x.id === noteId);
      if (!c) return error(404, '404 Note Not Found');
      c.body = (req.body as { body: string }).body;
      return { status: 200, body: json(c) };
    }
    case 'deleteApiV4ProjectsIdMergeRequestsNoteableIdNotesNoteId': {
      const i = thread.findIndex((x) => x.id === noteId);
      if (i < 0) return error(404, '404 Note Not Found');
      thread.splice(i, 1);
      return { status: 204 };
    }
    default:
      return { status: 599, body: { message: `the stand-in does not serve ${req.operationId}` } };
  }
}
