import { type PrComment, ProviderError, type PullRequestComments } from '../pull-request-comments.ts';

/** The subset of `@octokit/rest`'s Octokit that the comments use. */
export interface OctokitSubset {
  rest: {
    issues: {
      listComments(p: {
        owner: string;
        repo: string;
        issue_number: number;
        per_page?: number;
        page?: number;
      }): Promise<{
        data: { id: number; body?: string | null }[];
      }>;
      createComment(p: { owner: string; repo: string; issue_number: number; body: string }): Promise<{
        data: { id: number; body?: string | null };
      }>;
      updateComment(p: { owner: string; repo: string; comment_id: number; body: string }): Promise<{
        data: { id: number; body?: string | null };
      }>;
      deleteComment(p: { owner: string; repo: string; comment_id: number }): Promise<unknown>;
    };
  };
}

export interface GithubTarget {
  owner: string;
  repo: string;
  /** The pull request's number (its issue number). */
  number: number;
}

const PAGE = 100;

/** A pull request's conversation comments (GitHub's issue comments API) through Octokit. */
export class GithubComments implements PullRequestComments {
  readonly where: string;
  readonly #octokit: OctokitSubset;
  readonly #target: GithubTarget;

  constructor(octokit: OctokitSubset, target: GithubTarget) {
    this.#octokit = octokit;
    this.#target = target;
    this.where = `GitHub ${target.owner}/${target.repo}#${target.number}`;
  }

  /** Octokit with `token`, against `baseUrl` (GITHUB_API_URL; GitHub Enterprise Server too). */
  static async open(token: string, baseUrl: string, target: GithubTarget): Promise<GithubComments> {
    const { Octokit } = await import('@octokit/rest');
    const octokit = new Octokit({ auth: token, baseUrl, userAgent: 'cairn-ci', log: quiet });
    return new GithubComments(octokit as unknown as OctokitSubset, target);
  }

  async list(): Promise<PrComment[]> {
    const { owner, repo, number } = this.#target;
    const out: PrComment[] = [];
    for (let page = 1; ; page++) {
      const { data } = await call(() =>
        this.#octokit.rest.issues.listComments({ owner, repo, issue_number: number, per_page: PAGE, page }),
      );
      out.push(...data.map(comment));
      if (data.length < PAGE) return out;
    }
  }

  async create(body: string): Promise<PrComment> {
    const { owner, repo, number } = this.#target;
    const { data } = await call(() =>
      this.#octokit.rest.issues.createComment({ owner, repo, issue_number: number, body }),
    );
    return comment(data);
  }

  async update(id: number, body: string): Promise<PrComment> {
    const { owner, repo } = this.#target;
    const { data } = await call(() =>
      this.#octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body }),
    );
    return comment(data);
  }

  async remove(id: number): Promise<void> {
    const { owner, repo } = this.#target;
    await call(() => this.#octokit.rest.issues.deleteComment({ owner, repo, comment_id: id }));
  }
}

const noop = () => undefined;
const quiet = { debug: noop, info: noop, warn: noop, error: noop };

function comment(data: { id: number; body?: string | null }): PrComment {
  return { id: data.id, body: data.body ?? '' };
}

/** Octokit's RequestError (status, the API's message) as a ProviderError. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { status?: unknown; message?: unknown; response?: { data?: { message?: unknown } } };
    const status = typeof e.status === 'number' ? e.status : 0;
    const message =
      typeof e.response?.data?.message === 'string'
        ? e.response.data.message
        : typeof e.message === 'string'
          ? e.message
          : String(err);
    throw new ProviderError(status, message, { cause: err });
  }
}
