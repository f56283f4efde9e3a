import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fitMarkdown } from '../../src/ci/report/limits.ts';
import { githubWorkflow } from '../../src/ci/templates/github-workflow.ts';
import { gitlabCi } from '../../src/ci/templates/gitlab-ci.ts';

const SETTINGS = {
  modelDir: 'models/churn',
  modelName: 'churn',
  alias: 'champion',
  defaultBranch: 'main',
  node: '24',
};

describe('docs/ci-cd.md', () => {
  it('shows exactly the workflows cairn ci init writes', async () => {
    const doc = await readFile(new URL('../../docs/ci-cd.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(`\`\`\`yaml\n${githubWorkflow(SETTINGS).trimEnd()}\n\`\`\``), 'GitHub workflow');
    assert.ok(doc.includes(`\`\`\`yaml\n${gitlabCi(SETTINGS).trimEnd()}\n\`\`\``), 'GitLab CI');
  });
});

describe('fitMarkdown', () => {
  it('cuts at a line within the limit, closes an open code fence and says where the whole report is', () => {
    const text = `# r\n\`\`\`\n${'line of text\n'.repeat(200)}\`\`\`\n`;
    const fit = fitMarkdown(text, 500, { fullReport: 'the job summary' });
    assert.equal(fit.truncated, true);
    assert.ok(fit.text.length <= 500);
    assert.match(
      fit.text,
      /```\n\n---\n\n> ✂️ This report was cut to fit the 500-character limit: the whole report is at the job summary\.\n$/,
    );
    const bytes = fitMarkdown('é'.repeat(400), 301, { unit: 'bytes' });
    assert.ok(Buffer.byteLength(bytes.text) <= 301);
    assert.deepEqual(fitMarkdown('short', 10), { text: 'short', truncated: false });
  });
});
