import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeManifest, encodeManifest, isSafeRelativePath, manifestMode } from '../../src/data/manifest.ts';
import { formatPointer, parsePointer } from '../../src/data/pointer.ts';
import { sha256 } from '../../src/kernel/hashing.ts';

const h = (s: string) => sha256(s);

describe('pointer files', () => {
  it('round-trip files and directories', () => {
    for (const p of [
      { type: 'file' as const, hash: h('a'), size: 1 },
      { type: 'directory' as const, hash: h('b'), size: 10, files: 3 },
    ]) {
      assert.deepEqual(parsePointer(formatPointer(p, 'x'), 'x.cairn'), p);
    }
  });

  it('refuse malformed content with the file name and what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['version: 1\ntype: file\nhash: sha256:abc\nsize: 1\n', /x\.cairn: hash "sha256:abc" is not valid/],
      [`version: 1\ntype: file\nhash: ${h('a').toUpperCase()}\nsize: 1\n`, /is not valid/],
      [`version: 2\ntype: file\nhash: ${h('a')}\nsize: 1\n`, /unsupported pointer version 2/],
      [`version: 1\ntype: link\nhash: ${h('a')}\nsize: 1\n`, /type "link" is not "file" or "directory"/],
      [`version: 1\ntype: file\nhash: ${h('a')}\nsize: -4\n`, /size -4 is not a non-negative integer/],
      [`version: 1\ntype: directory\nhash: ${h('a')}\nsize: 4\n`, /files undefined/],
      [`version: 1\ntype: file\nhash: ${h('a')}\nsize: 1\nextra: 1\n`, /unknown field "extra"/],
      ['[1, 2', /not valid YAML/],
      ['just text', /not a Cairn pointer/],
    ];
    for (const [text, message] of cases) assert.throws(() => parsePointer(text, 'x.cairn'), message);
  });
});

describe('manifests', () => {
  const entries = [
    { path: 'b.txt', hash: h('b'), size: 1, mode: 0o644 },
    { path: 'a/z.txt', hash: h('z'), size: 2, mode: 0o755 },
    { path: 'é.txt', hash: h('e'), size: 3, mode: 0o644 },
    { path: 'a.txt', hash: h('a'), size: 4, mode: 0o644 },
  ];

  it('encode canonically: order of input does not change the bytes or the hash', () => {
    const one = encodeManifest({ entries });
    const two = encodeManifest({ entries: [...entries].reverse() });
    assert.deepEqual(one.bytes, two.bytes);
    assert.equal(one.digest, sha256(one.bytes));
    assert.equal(one.size, 10);
    assert.deepEqual(
      decodeManifest(one.bytes, 'm').entries.map((e) => e.path),
      ['a.txt', 'a/z.txt', 'b.txt', 'é.txt'],
      'sorted by UTF-8 bytes',
    );
  });

  it('round-trip and refuse corrupt or unsafe content', () => {
    const { bytes } = encodeManifest({ entries });
    assert.deepEqual(
      decodeManifest(bytes, 'm').entries,
      [...entries].sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path))),
    );
    const text = bytes.toString();
    assert.throws(() => decodeManifest(Buffer.from(text.replace('a/z.txt', '../z.txt')), 'm'), /unsafe path/);
    assert.throws(
      () => decodeManifest(Buffer.from(text.replace('"files":4', '"files":5')), 'm'),
      /header says 5 files/,
    );
    assert.throws(
      () => decodeManifest(Buffer.from('garbage'), 'm'),
      (e: { code: string }) => e.code === 'INTEGRITY_ERROR',
    );
  });

  it('keeps only the executable bit of modes, and knows safe relative paths', () => {
    assert.equal(manifestMode(0o100664), 0o644);
    assert.equal(manifestMode(0o100775), 0o755);
    for (const p of ['a', 'a/b', 'a.b/c']) assert.ok(isSafeRelativePath(p), p);
    for (const p of ['', '/a', 'a/../b', 'a//b', './a', 'a\\b', 'a\0b']) assert.ok(!isSafeRelativePath(p), p);
  });
});
