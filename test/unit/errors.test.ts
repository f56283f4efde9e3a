import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  CairnError,
  ERROR_CODE_NAMES,
  ERROR_CODES,
  fromSystemError,
  isCairnError,
} from '../../src/kernel/errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('error registry', () => {
  it('documents every code in docs/errors.md with its HTTP status and exit code', () => {
    const rows = new Map<string, { http: number; exit: number }>();
    for (const m of doc.matchAll(/^\| `([A-Z_]+)`\s*\| (\d+)\s*\| (\d+)\s*\|/gm))
      rows.set(m[1] as string, { http: Number(m[2]), exit: Number(m[3]) });
    assert.deepEqual(
      [...rows.keys()].sort(),
      [...ERROR_CODE_NAMES].sort(),
      'docs/errors.md and kernel/errors.ts list different codes',
    );
    for (const code of ERROR_CODE_NAMES) {
      const spec = ERROR_CODES[code];
      assert.deepEqual(
        rows.get(code),
        { http: spec.http, exit: spec.exit },
        `docs/errors.md row for ${code} is out of date`,
      );
    }
  });

  it('has the codes the rest of Cairn relies on', () => {
    for (const code of [
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'INVALID_ARGUMENT',
      'FAILED_PRECONDITION',
      'INTEGRITY_ERROR',
      'UNAVAILABLE',
      'UNAUTHENTICATED',
      'PERMISSION_DENIED',
      'INTERNAL',
    ])
      assert.ok(code in ERROR_CODES, code);
  });

  it('maps exit codes to 1 and 2 only, usage errors to 2', () => {
    for (const code of ERROR_CODE_NAMES) assert.ok([1, 2].includes(ERROR_CODES[code].exit), code);
    assert.equal(new CairnError('INVALID_ARGUMENT', 'x').exitCode, 2);
  });

  it('keeps the cause and recognises errors by code and name', () => {
    const cause = new Error('inner');
    const err = new CairnError('NOT_FOUND', 'missing', { cause, details: { path: 'a' } });
    assert.equal(err.cause, cause);
    assert.equal(err.httpStatus, 404);
    assert.ok(isCairnError(err));
    assert.ok(isCairnError({ name: 'CairnError', code: 'NOT_FOUND', message: 'rebuilt from a body' }));
    assert.ok(!isCairnError(Object.assign(new Error('x'), { code: 'ENOENT' })));
  });

  it('turns system errors into codes with the path in the message', () => {
    const full = fromSystemError(Object.assign(new Error('nospc'), { code: 'ENOSPC' }), '/data/x');
    assert.ok(isCairnError(full));
    assert.equal(full.code, 'RESOURCE_EXHAUSTED');
    assert.match(full.message, /\/data\/x/);
    const other = new Error('weird');
    assert.equal(fromSystemError(other, '/p'), other);
  });
});
