/** A comment on a pull or merge request, as the sticky-comment logic needs it. */
export interface PrComment {
  id: number;
  body: string;
}

/**
 * The comments of one pull / merge request on a provider. Implementations: GithubComments
 * (`@octokit/rest`, issue comments) and GitlabNotes (GitLab's notes API). A failed call throws a
 * ProviderError with the provider's HTTP status.
 */
export interface PullRequestComments {
  /** The provider's name and where the request is, for messages: `GitHub owner/repo#12`. */
  readonly where: string;
  /** Every comment, oldest first. */
  list(): Promise<PrComment[]>;
  create(body: string): Promise<PrComment>;
  update(id: number, body: string): Promise<PrComment>;
  remove(id: number): Promise<void>;
}

/** A provider API call that failed: its HTTP status (0 when no answer came) and message. */
export class ProviderError extends Error {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderError';
    this.status = status;
  }
}
