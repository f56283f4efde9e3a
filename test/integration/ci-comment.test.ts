import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { postReport } from '../../src/ci/comment/post-report.ts';
import { commentMarker } from '../../src/ci/comment/sticky-comment.ts';
import { isCairnError } from '../../src/kernel/errors.ts';
import type { OpenApiStandin } from '../support/openapi-standin.ts';
import { githubStandin, gitlabStandin, ProviderState } from '../support/provider-standins.ts';
import { tempDir } from '../support/tmp-dir.ts';

const MARKER = commentMarker();
const FAST = { attempts: 3, backoffMs: 5 };

function rejectsWith(code: string, pattern: RegExp) {
  return (e: unknown) => isCairnError(e) && e.code === code && pattern.test(e.message);
}

describe('cairn ci comment on GitHub (a stand-in checked against GitHub’s OpenAPI description)', () => {
  const state = new ProviderState();
  let standin: OpenApiStandin;
  let dir = '';
  let env: NodeJS.ProcessEnv;
  before(async () => {
    standin = githubStandin(state);
    await standin.start();
    dir = await tempDir('cairn-ci-comment-');
    state.writers.add('ghs_write');
    state.readers.add('ghs_fork');
  });
  after(async () => {
    await standin.stop();
    assert.deepEqual(standin.violations, []);
  });
  beforeEach(async () => {
    state.threads.clear();
    state.faults.clear();
    state.beforeCreate = undefined;
    state.thread(7).push({ id: 1, body: 'Looks good' });
    const event = join(dir, 'event.json');
    await writeFile(
      event,
      JSON.stringify({
        pull_request: { number: 7, head: { repo: { full_name: 'acme/churn' } } },
        repository: { full_name: 'acme/churn' },
      }),
    );
    env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: standin.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/churn',
      GITHUB_RUN_ID: '99',
      GITHUB_EVENT_PATH: event,
      GITHUB_TOKEN: 'ghs_write',
      GITHUB_STEP_SUMMARY: join(dir, `summary-${Math.random()}.md`),
    };
  });
  const ours = () => state.thread(7).filter((c) => c.body.startsWith(MARKER));

  it('creates one sticky comment, then updates it instead of adding another', async () => {
    const first = await postReport('## Report 1', { provider: 'github', env, ...FAST });
    assert.equal(first.comment?.action, 'created');
    assert.equal(first.where, 'GitHub acme/churn#7');
    assert.deepEqual(
      ours().map((c) => c.body),
      [`${MARKER}\n## Report 1`],
    );
    const second = await postReport('## Report 2', { provider: 'github', env, ...FAST });
    assert.deepEqual([second.comment?.action, second.comment?.id], ['updated', first.comment?.id]);
    const third = await postReport('## Report 2', { provider: 'github', env, ...FAST });
    assert.equal(third.comment?.action, 'unchanged');
    assert.deepEqual(
      ours().map((c) => c.body),
      [`${MARKER}\n## Report 2`],
    );
    assert.equal(state.thread(7).length, 2, 'the reviewer’s comment is untouched');
    assert.match(await readFile(env.GITHUB_STEP_SUMMARY as string, 'utf8'), /## Report 1[\s\S]*## Report 2/);
  });

  it('keeps one comment when another run created its own at the same time, and cleans up old duplicates', async () => {
    state.beforeCreate = (thread) => {
      thread.push({ id: state.nextId(), body: `${MARKER}\nfrom the other run` });
      state.beforeCreate = undefined;
    };
    const raced = await postReport('## mine', { provider: 'github', env, ...FAST });
    assert.equal(raced.comment?.action, 'updated');
    assert.deepEqual(
      ours().map((c) => c.body),
      [`${MARKER}\n## mine`],
    );
    state.thread(7).push({ id: state.nextId(), body: `${MARKER}\nstale duplicate` });
    const cleaned = await postReport('## again', { provider: 'github', env, ...FAST });
    assert.equal(cleaned.comment?.removed.length, 1);
    assert.equal(ours().length, 1);
  });

  it('cuts a report over 65,536 characters, pointing at the job summary', async () => {
    const huge = `# Big\n${'| a | b |\n'.repeat(9000)}`;
    const r = await postReport(huge, { provider: 'github', env, ...FAST });
    assert.equal(r.truncated, true);
    const body = ours()[0]?.body ?? '';
    assert.ok(body.length <= 65_536, `${body.length}`);
    assert.match(
      body,
      /cut to fit the 65,536-character limit: the whole report is at the job summary of https:\/\/github\.com\/acme\/churn\/actions\/runs\/99/,
    );
    const summary = await readFile(env.GITHUB_STEP_SUMMARY as string, 'utf8');
    assert.ok(summary.includes(huge));
  });

  it('a fork’s read-only token (403) and a missing token skip the comment with a reason, never an error', async () => {
    await writeFile(
      env.GITHUB_EVENT_PATH as string,
      JSON.stringify({
        pull_request: { number: 7, head: { repo: { full_name: 'someone/churn' } } },
        repository: { full_name: 'acme/churn' },
      }),
    );
    const fork = await postReport('## from a fork', {
      provider: 'github',
      env: { ...env, GITHUB_TOKEN: 'ghs_fork' },
      ...FAST,
    });
    assert.match(
      fork.skipped ?? '',
      /answered 403: Resource not accessible by integration; the pull request comes from a fork/,
    );
    const none = await postReport('## no token', {
      provider: 'github',
      env: { ...env, GITHUB_TOKEN: '' },
      ...FAST,
    });
    assert.match(none.skipped ?? '', /no GITHUB_TOKEN/);
    const bad = await postReport('## bad', {
      provider: 'github',
      env: { ...env, GITHUB_TOKEN: 'expired' },
      ...FAST,
    });
    assert.match(bad.skipped ?? '', /answered 401: Bad credentials/);
    assert.equal(ours().length, 0);
    assert.match(
      await readFile(env.GITHUB_STEP_SUMMARY as string, 'utf8'),
      /## from a fork[\s\S]*## no token/,
    );
  });

  it('404, 422 and a 5xx that outlasts the retries are errors naming the status; a passing 5xx is retried', async () => {
    await assert.rejects(
      postReport('x', { provider: 'github', env: { ...env, GITHUB_REPOSITORY: 'acme/other' }, ...FAST }),
      rejectsWith('NOT_FOUND', /GitHub acme\/other#7 answered 404: Not Found/),
    );
    state.failNext('issues/create-comment', 422);
    await assert.rejects(
      postReport('x', { provider: 'github', env, ...FAST }),
      rejectsWith('FAILED_PRECONDITION', /answered 422: Validation Failed/),
    );
    state.failNext('issues/list-comments', 502, 503);
    const retried = await postReport('## after retries', { provider: 'github', env, ...FAST });
    assert.equal(retried.comment?.action, 'created');
    state.failNext('issues/update-comment', 500, 500, 500);
    await assert.rejects(
      postReport('## never', { provider: 'github', env, ...FAST }),
      rejectsWith('UNAVAILABLE', /answered 500: Server Error/),
    );
    assert.deepEqual(
      ours().map((c) => c.body),
      [`${MARKER}\n## after retries`],
    );
  });

  it('a job that is not for a pull request writes the summary only', async () => {
    await writeFile(env.GITHUB_EVENT_PATH as string, JSON.stringify({ ref: 'refs/heads/main' }));
    const r = await postReport('## push', {
      provider: 'github',
      env: { ...env, GITHUB_REF: 'refs/heads/main' },
      ...FAST,
    });
    assert.match(r.skipped ?? '', /not for a pull request/);
    const byFlag = await postReport('## by flag', { provider: 'github', env, number: 7, ...FAST });
    assert.equal(byFlag.comment?.action, 'created');
  });
});

describe('cairn ci comment on GitLab (a stand-in checked against the notes API)', () => {
  const state = new ProviderState();
  let standin: OpenApiStandin;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    standin = gitlabStandin(state);
    await standin.start();
    state.writers.add('glpat-write');
    state.readers.add('job-token');
  });
  after(async () => {
    await standin.stop();
    assert.deepEqual(standin.violations, []);
  });
  beforeEach(() => {
    state.threads.clear();
    state.faults.clear();
    state.thread(3);
    env = {
      GITLAB_CI: 'true',
      CI_API_V4_URL: `${standin.url}/api/v4`,
      CI_PROJECT_ID: '42',
      CI_MERGE_REQUEST_IID: '3',
      CI_JOB_URL: 'https://gitlab.example.com/acme/churn/-/jobs/5',
      GITLAB_TOKEN: 'glpat-write',
    };
  });
  const ours = () => state.thread(3).filter((c) => c.body.startsWith(MARKER));

  it('creates one note and updates it on the next run', async () => {
    const a = await postReport('## one', { provider: 'gitlab', env, ...FAST });
    const b = await postReport('## two', { provider: 'gitlab', env, ...FAST });
    assert.deepEqual(
      [a.comment?.action, b.comment?.action, b.comment?.id],
      ['created', 'updated', a.comment?.id],
    );
    assert.equal(a.where, 'GitLab project 42 !3');
    assert.deepEqual(
      ours().map((c) => c.body),
      [`${MARKER}\n## two`],
    );
  });

  it('the job token, refused (403), and a bad token (401) skip the note with a reason', async () => {
    const job = await postReport('## j', {
      provider: 'gitlab',
      env: { ...env, GITLAB_TOKEN: '', CI_JOB_TOKEN: 'job-token' },
      ...FAST,
    });
    assert.match(
      job.skipped ?? '',
      /answered 403: 403 Forbidden; GitLab's CI_JOB_TOKEN may not write merge-request notes/,
    );
    const bad = await postReport('## b', {
      provider: 'gitlab',
      env: { ...env, GITLAB_TOKEN: 'nope' },
      ...FAST,
    });
    assert.match(bad.skipped ?? '', /answered 401/);
    assert.equal(ours().length, 0);
  });

  it('404, 422 and a lasting 5xx are errors; no second note appears', async () => {
    await assert.rejects(
      postReport('x', { provider: 'gitlab', env: { ...env, CI_MERGE_REQUEST_IID: '404' }, ...FAST }),
      rejectsWith('NOT_FOUND', /answered 404: 404 Merge Request Not Found/),
    );
    state.failNext('postApiV4ProjectsIdMergeRequestsNoteableIdNotes', 422);
    await assert.rejects(
      postReport('x', { provider: 'gitlab', env, ...FAST }),
      rejectsWith('FAILED_PRECONDITION', /answered 422: Note \{:note=>\["is too long"\]\}/),
    );
    await postReport('## ok', { provider: 'gitlab', env, ...FAST });
    state.failNext('getApiV4ProjectsIdMergeRequestsNoteableIdNotes', 503, 503, 503);
    await assert.rejects(
      postReport('## later', { provider: 'gitlab', env, ...FAST }),
      rejectsWith('UNAVAILABLE', /503/),
    );
    assert.equal(ours().length, 1);
  });
});
