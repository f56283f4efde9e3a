import { readFile } from 'node:fs/promises';
import type { GithubTarget } from './github/github-comments.ts';
import type { GitlabTarget, GitlabToken } from './gitlab/gitlab-notes.ts';

export const CI_PROVIDERS = ['github', 'gitlab'] as const;
export type CiProvider = (typeof CI_PROVIDERS)[number];

/** The provider a job runs on, from the variables each sets (GITHUB_ACTIONS, GITLAB_CI). */
export function detectProvider(env: NodeJS.ProcessEnv): CiProvider | undefined {
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  if (env.GITLAB_CI === 'true') return 'gitlab';
  return undefined;
}

/** A GitHub Actions job, as its variables and event file describe it. */
export interface GithubJob {
  apiUrl: string;
  /** Absent when the job is not for a pull request. */
  target?: GithubTarget;
  token?: string;
  /** GITHUB_STEP_SUMMARY: the file a step's Markdown summary is appended to. */
  summaryPath?: string;
  /** The run's page (where the step summary shows). */
  runUrl?: string;
  /** The pull request comes from a fork (its token is read-only). */
  fromFork: boolean;
}

/** Reads GITHUB_REPOSITORY, GITHUB_EVENT_PATH (the pull request's number), GITHUB_TOKEN / GH_TOKEN… */
export async function githubJob(env: NodeJS.ProcessEnv, prNumber?: number): Promise<GithubJob> {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  let event: {
    number?: number;
    pull_request?: { number?: number; head?: { repo?: { full_name?: string } } };
    issue?: { number?: number; pull_request?: unknown };
    repository?: { full_name?: string };
  } = {};
  if (env.GITHUB_EVENT_PATH)
    try {
      event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as typeof event;
    } catch {}
  const fromRef = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '')?.[1];
  const number =
    prNumber ??
    event.pull_request?.number ??
    (event.issue?.pull_request ? event.issue.number : undefined) ??
    (fromRef ? Number(fromRef) : undefined);
  const head = event.pull_request?.head?.repo?.full_name;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  return {
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    ...(owner && repo && number !== undefined ? { target: { owner, repo, number } } : {}),
    ...(token ? { token } : {}),
    ...(env.GITHUB_STEP_SUMMARY ? { summaryPath: env.GITHUB_STEP_SUMMARY } : {}),
    ...(env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? { runUrl: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` }
      : {}),
    fromFork:
      head !== undefined && event.repository?.full_name !== undefined && head !== event.repository.full_name,
  };
}

/** A GitLab CI job, from CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and a token. */
export interface GitlabJob {
  target?: GitlabTarget;
  /** CAIRN_GITLAB_TOKEN or GITLAB_TOKEN (an access token with the api scope), else CI_JOB_TOKEN. */
  token?: GitlabToken;
  jobUrl?: string;
}

export function gitlabJob(env: NodeJS.ProcessEnv, mrNumber?: number): GitlabJob {
  const iid = mrNumber ?? (env.CI_MERGE_REQUEST_IID ? Number(env.CI_MERGE_REQUEST_IID) : undefined);
  const apiUrl = env.CI_API_V4_URL ?? (env.CI_SERVER_URL ? `${env.CI_SERVER_URL}/api/v4` : undefined);
  const project = env.CI_MERGE_REQUEST_PROJECT_ID ?? env.CI_PROJECT_ID;
  const access = env.CAIRN_GITLAB_TOKEN || env.GITLAB_TOKEN;
  const token: GitlabToken | undefined = access
    ? { kind: 'private', value: access }
    : env.CI_JOB_TOKEN
      ? { kind: 'job', value: env.CI_JOB_TOKEN }
      : undefined;
  return {
    ...(apiUrl && project && iid !== undefined && Number.isInteger(iid)
      ? { target: { apiUrl, project, mergeRequest: iid } }
      : {}),
    ...(token ? { token } : {}),
    ...(env.CI_JOB_URL ? { jobUrl: env.CI_JOB_URL } : {}),
  };
}
