import { appendFile } from 'node:fs/promises';
import { type CairnError, errors } from '../../kernel/errors.ts';
import {
  fitMarkdown,
  GITHUB_COMMENT_LIMIT,
  GITLAB_NOTE_LIMIT,
  STEP_SUMMARY_LIMIT,
} from '../report/limits.ts';
import { type CiProvider, githubJob, gitlabJob } from './ci-environment.ts';
import { GithubComments } from './github/github-comments.ts';
import { GitlabNotes } from './gitlab/gitlab-notes.ts';
import { ProviderError, type PullRequestComments } from './pull-request-comments.ts';
import {
  commentMarker,
  type RetryOptions,
  type StickyOutcome,
  upsertStickyComment,
} from './sticky-comment.ts';

export interface PostReportOptions extends RetryOptions {
  provider: CiProvider;
  env: NodeJS.ProcessEnv;
  /** The pull / merge request's number, when the job's variables do not give it. */
  number?: number;
  /** Tells several sticky comments on one request apart (default `report`). */
  key?: string;
}

export interface PostReportResult {
  /** Where the comment is (`GitHub owner/repo#12`), when one was written. */
  where?: string;
  comment?: StickyOutcome;
  /** Why no comment was written (a missing or read-only token, no pull request): one line for a warning. */
  skipped?: string;
  /** The report was cut to the provider's limit. */
  truncated: boolean;
  /** The step summary file the report was appended to (GitHub). */
  summaryPath?: string;
  /** The report should go to the job's log instead (GitLab has no step summary). */
  printToLog: boolean;
}

/**
 * Puts `markdown` in the pull / merge request's sticky comment. On GitHub the whole report is
 * also appended to the step summary (where the comment's "cut" note points). A missing token, a
 * read-only one (a fork's) or a job that is no pull request skips the comment with a reason,
 * never an error; any other refusal by the provider throws a CairnError naming the status.
 */
export async function postReport(markdown: string, options: PostReportOptions): Promise<PostReportResult> {
  return options.provider === 'github' ? postToGithub(markdown, options) : postToGitlab(markdown, options);
}

async function postToGithub(markdown: string, options: PostReportOptions): Promise<PostReportResult> {
  const job = await githubJob(options.env, options.number);
  const result: PostReportResult = { truncated: false, printToLog: false };
  if (job.summaryPath) {
    const summary = fitMarkdown(markdown, STEP_SUMMARY_LIMIT - 2, {
      unit: 'bytes',
      named: STEP_SUMMARY_LIMIT,
    });
    await appendFile(job.summaryPath, `${summary.text}\n\n`);
    result.summaryPath = job.summaryPath;
  } else result.printToLog = true;
  if (!job.target)
    return {
      ...result,
      skipped:
        'this job is not for a pull request (no pull_request in GITHUB_EVENT_PATH, no refs/pull/ in GITHUB_REF, no --pr): no comment written',
    };
  if (!job.token)
    return {
      ...result,
      skipped:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown as written
        'no GITHUB_TOKEN in the environment: no comment written (add `env: GITHUB_TOKEN: ${{ github.token }}` to the step, with `permissions: pull-requests: write`)',
    };
  const fit = fitMarkdown(markdown, GITHUB_COMMENT_LIMIT - commentMarker(options.key).length - 1, {
    named: GITHUB_COMMENT_LIMIT,
    ...(job.runUrl ? { fullReport: `the job summary of ${job.runUrl}` } : {}),
  });
  const comments = await GithubComments.open(job.token, job.apiUrl, job.target);
  return post(comments, fit, options, result, {
    readOnly: job.fromFork
      ? 'the pull request comes from a fork, whose GITHUB_TOKEN is read-only'
      : 'the token may not write pull-request comments (give the job `permissions: pull-requests: write`)',
  });
}

async function postToGitlab(markdown: string, options: PostReportOptions): Promise<PostReportResult> {
  const job = gitlabJob(options.env, options.number);
  const result: PostReportResult = { truncated: false, printToLog: true };
  if (!job.target)
    return {
      ...result,
      skipped:
        'this job is not for a merge request (no CI_MERGE_REQUEST_IID, CI_API_V4_URL or CI_PROJECT_ID, no --pr): no comment written',
    };
  if (!job.token)
    return {
      ...result,
      skipped: 'no GITLAB_TOKEN, CAIRN_GITLAB_TOKEN or CI_JOB_TOKEN in the environment: no comment written',
    };
  const fit = fitMarkdown(markdown, GITLAB_NOTE_LIMIT - commentMarker(options.key).length - 1, {
    named: GITLAB_NOTE_LIMIT,
    ...(job.jobUrl ? { fullReport: `the log of ${job.jobUrl}` } : {}),
  });
  return post(new GitlabNotes(job.target, job.token), fit, options, result, {
    readOnly:
      job.token.kind === 'job'
        ? "GitLab's CI_JOB_TOKEN may not write merge-request notes: store a project access token with the api scope as the masked CI/CD variable GITLAB_TOKEN"
        : 'the token may not write merge-request notes (it needs the api scope and at least the Reporter role)',
  });
}

async function post(
  comments: PullRequestComments,
  fit: { text: string; truncated: boolean },
  options: PostReportOptions,
  result: PostReportResult,
  why: { readOnly: string },
): Promise<PostReportResult> {
  try {
    const comment = await upsertStickyComment(comments, fit.text, {
      ...(options.key ? { key: options.key } : {}),
      ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
      ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
    });
    return { ...result, where: comments.where, comment, truncated: fit.truncated };
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const said = `${comments.where} answered ${err.status === 0 ? 'nothing' : err.status}: ${err.message}`;
    if (err.status === 401 || err.status === 403)
      return { ...result, truncated: fit.truncated, skipped: `${said}; ${why.readOnly}. No comment written` };
    throw providerFailure(err, said, comments.where);
  }
}

function providerFailure(err: ProviderError, said: string, where: string): CairnError {
  if (err.status === 404)
    return errors.notFound(said, {
      cause: err,
      hint: `check that ${where} exists and that the token can see the repository`,
    });
  if (err.status === 422)
    return errors.precondition(said, {
      cause: err,
      hint: 'the provider refused the comment body; see its message',
    });
  return errors.unavailable(said, {
    cause: err,
    hint: 'the provider did not take the comment after 3 attempts; the report is in the job summary or log: run the step again later',
  });
}
