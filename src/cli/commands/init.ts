import type { Command } from 'commander';
import { initWorkspace } from '../../workspace/init-workspace.ts';
import type { CliSession } from '../session.ts';

export function registerInit(program: Command, session: () => CliSession): void {
  program
    .command('init')
    .description('make the current directory a Cairn workspace (.cairn/ with config, cache and database)')
    .option('-f, --force', 're-initialise an existing workspace (keeps its cache and database)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { force?: boolean; json?: boolean }) => {
      const s = session();
      const result = await initWorkspace(s.cwd, { force: opts.force ?? false });
      // Opening the workspace creates the database and applies its migrations.
      await s.workspace();
      if (opts.json) return s.json(result);
      s.out(`${result.reinitialized ? 'Re-initialised' : 'Initialised'} Cairn workspace in ${result.root}`);
      if (!result.git)
        s.out('Not inside a git repository: pointers will not be versioned until you run `git init`.');
      s.out('Next: cairn add <data path>, then commit the .cairn pointer files with git.');
    });
}
