import type { Command } from 'commander';
import { parseBlobUrl } from '../../blobs/open-blob-store.ts';
import { addRemote, removeRemote, setDefaultRemote, setRemoteOption } from '../../workspace/remote-config.ts';
import { table } from '../format.ts';
import type { CliSession } from '../session.ts';

export function registerRemote(program: Command, session: () => CliSession): void {
  const remote = program.command('remote').description('manage remotes: where push and pull move objects');
  remote
    .command('add')
    .description('add a remote: /abs/dir, file:///abs/dir or s3://bucket/prefix')
    .argument('<name>')
    .argument('<url>')
    .option('-d, --default', 'make it the default remote')
    .option('-f, --force', 'replace a remote of the same name')
    .option('--local', 'write to .cairn/config.local.yaml (not committed)')
    .option('--endpoint <url>', 'S3 endpoint, e.g. http://127.0.0.1:9000 for MinIO')
    .option('--region <region>', 'S3 region')
    .option('--path-style', 'use path-style S3 addressing (MinIO and most S3-compatible servers)')
    .action(
      async (
        name: string,
        url: string,
        opts: {
          default?: boolean;
          force?: boolean;
          local?: boolean;
          endpoint?: string;
          region?: string;
          pathStyle?: boolean;
        },
      ) => {
        const s = session();
        const { root, config } = await s.config();
        await addRemote(root, config, name, {
          url,
          default: opts.default ?? false,
          force: opts.force ?? false,
          local: opts.local ?? false,
          ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
          ...(opts.region !== undefined ? { region: opts.region } : {}),
          ...(opts.pathStyle !== undefined ? { pathStyle: opts.pathStyle } : {}),
        });
        s.out(`remote "${name}" -> ${url}${opts.default ? ' (default)' : ''}`);
      },
    );
  remote
    .command('list')
    .description('list remotes')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const s = session();
      const { config } = await s.config();
      const list = Object.entries(config.remotes).map(([name, r]) => ({
        name,
        url: r.url,
        kind: parseBlobUrl(r.url).kind,
        default: config.core.remote === name,
        ...(r.endpoint ? { endpoint: r.endpoint } : {}),
      }));
      if (opts.json) return s.json(list);
      if (list.length === 0)
        return s.out('No remotes. Add one with: cairn remote add origin <url> --default');
      s.out(table(list.map((r) => [r.default ? `* ${r.name}` : `  ${r.name}`, r.url, r.endpoint ?? ''])));
    });
  remote
    .command('default')
    .description('set the default remote')
    .argument('<name>')
    .action(async (name: string) => {
      const s = session();
      const { root, config } = await s.config();
      await setDefaultRemote(root, config, name);
      s.out(`default remote: ${name}`);
    });
  remote
    .command('modify')
    .description(
      'set one setting of a remote (url, endpoint, region, path_style, access_key_id, secret_access_key, session_token, jobs)',
    )
    .argument('<name>')
    .argument('<key>')
    .argument('<value>')
    .option('--local', 'write to .cairn/config.local.yaml (not committed): use it for credentials')
    .action(async (name: string, key: string, value: string, opts: { local?: boolean }) => {
      const s = session();
      const { root, config } = await s.config();
      await setRemoteOption(root, config, name, key, value, { local: opts.local ?? false });
      const secret = key === 'secret_access_key' || key === 'session_token';
      s.out(
        `remote "${name}": ${key} = ${secret ? '***' : value}${opts.local ? ' (config.local.yaml)' : ''}`,
      );
    });
  remote
    .command('remove')
    .description('remove a remote (its objects are not touched)')
    .argument('<name>')
    .action(async (name: string) => {
      const s = session();
      const { root, config } = await s.config();
      await removeRemote(root, config, name);
      s.out(`removed remote "${name}"`);
    });
}
