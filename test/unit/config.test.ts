import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, parseConfigText, parseRemoteSetting } from '../../src/kernel/config.ts';
import { tempDir } from '../support/tmp-dir.ts';

async function workspace(files: { config?: string; local?: string }): Promise<string> {
  const root = await tempDir();
  await mkdir(join(root, '.cairn'));
  if (files.config !== undefined) await writeFile(join(root, '.cairn/config.yaml'), files.config);
  if (files.local !== undefined) await writeFile(join(root, '.cairn/config.local.yaml'), files.local);
  return root;
}

describe('config loading', () => {
  it('has embedded defaults', async () => {
    const root = await workspace({});
    const c = await loadConfig({ root, env: {} });
    assert.equal(c.metadata.uri, `sqlite://${join(root, '.cairn/cairn.db')}`);
    assert.equal(c.cache.dir, join(root, '.cairn/cache'));
    assert.deepEqual(c.cache.link, ['reflink', 'copy']);
    assert.equal(c.cache.fsync, true);
    assert.equal(c.core.remote, undefined);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.cache), 'frozen');
  });

  it('applies config.yaml, then config.local.yaml, then CAIRN_* variables', async () => {
    const root = await workspace({
      config:
        'core:\n  jobs: 2\ncache:\n  link: [copy]\nremotes:\n  origin:\n    url: s3://bucket/p\n    region: eu-west-1\n',
      local:
        'core:\n  jobs: 3\nremotes:\n  origin:\n    access_key_id: local-key\n    secret_access_key: local-secret\n',
    });
    const files = await loadConfig({ root, env: {} });
    assert.equal(files.core.jobs, 3, 'local overrides committed');
    assert.deepEqual(files.remotes.origin, {
      url: 's3://bucket/p',
      region: 'eu-west-1',
      access_key_id: 'local-key',
      secret_access_key: 'local-secret',
    });
    const env = await loadConfig({
      root,
      env: {
        CAIRN_JOBS: '5',
        CAIRN_CACHE_LINK: 'hardlink,copy',
        CAIRN_S3_ACCESS_KEY_ID: 'env-key',
        CAIRN_S3_PATH_STYLE: 'true',
      },
    });
    assert.equal(env.core.jobs, 5);
    assert.deepEqual(env.cache.link, ['hardlink', 'copy']);
    assert.equal(env.remotes.origin?.access_key_id, 'env-key');
    assert.equal(env.remotes.origin?.path_style, true);
  });

  it('names the file and line of a bad setting', async () => {
    const cases: [string, RegExp][] = [
      ['core:\n  jobz: 2\n', /config\.yaml:2: unknown setting "core\.jobz"/],
      [
        'cache:\n  link: [teleport]\n',
        /config\.yaml:2: cache\.link must be one or more of reflink, copy, hardlink, symlink/,
      ],
      ['colour: blue\n', /config\.yaml:1: unknown section "colour"/],
      ['core:\n  jobs: -1\n', /config\.yaml:2: core\.jobs must be a positive integer/],
      ['core: [1, 2\n', /config\.yaml:\d+: invalid YAML/],
      ['remotes:\n  o:\n    url: /x\n    colour: 1\n', /config\.yaml:4: unknown remote setting "colour"/],
    ];
    for (const [text, message] of cases) {
      const root = await workspace({ config: text });
      await assert.rejects(loadConfig({ root, env: {} }), (err: { code: string; message: string }) => {
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.match(err.message, message);
        return true;
      });
    }
  });

  it('rejects bad environment values and a default remote that is not configured', async () => {
    const root = await workspace({ config: 'core:\n  remote: ghost\n' });
    await assert.rejects(loadConfig({ root, env: {} }), /default remote "ghost" is not configured/);
    const ok = await workspace({});
    await assert.rejects(
      loadConfig({ root: ok, env: { CAIRN_CACHE_FSYNC: 'maybe' } }),
      /CAIRN_CACHE_FSYNC must be true or false/,
    );
    await assert.rejects(
      loadConfig({ root: ok, env: { CAIRN_JOBS: 'many' } }),
      /CAIRN_JOBS must be a positive integer/,
    );
  });

  it('parses remote settings typed on the command line', () => {
    assert.equal(parseRemoteSetting('path_style', 'true'), true);
    assert.equal(parseRemoteSetting('jobs', '32'), 32);
    assert.throws(() => parseRemoteSetting('colour', 'x'), /unknown remote setting "colour"/);
    assert.deepEqual(parseConfigText('# only comments\n', 'x.yaml'), {});
  });
});

describe('config syntax errors', () => {
  it('name the line the YAML error is on', () => {
    assert.throws(
      () => parseConfigText('core:\n  jobs: 2\ncache:\n  link: [copy\n', 'c.yaml'),
      /c\.yaml:[45]: invalid YAML/,
    );
  });
});
