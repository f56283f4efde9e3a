import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCairn } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

describe('cairn writing to a reader that has gone (cairn … | head)', () => {
  it('stops quietly with exit code 0 instead of crashing on EPIPE', async () => {
    const dir = await tempDir();
    for (const args of [['--help'], ['schema']]) {
      const child = startCairn(args, { cwd: dir });
      // Closing our end before the CLI writes makes every write of it fail with EPIPE.
      child.stdout?.destroy();
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, `cairn ${args.join(' ')}: ${stderr}`);
      assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
    }
  });
});
