import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { errors, isCairnError } from '../../kernel/errors.ts';
import { AuthStore, type TokenInfo } from '../../security/auth-store.ts';
import { parseDuration } from '../../security/duration.ts';
import { ROLES, type Role } from '../../security/roles.ts';
import { SECURITY_MIGRATIONS } from '../../security/security-migrations.ts';
import { openMetadataStore } from '../../store/open-metadata-store.ts';
import { table } from '../format.ts';
import type { CliSession } from '../session.ts';

const STORE_HELP = "metadata store to manage (default: the workspace's, which `cairn server` uses)";

/** `cairn token …` and `cairn user …`: credentials for `cairn server`, written straight to its store. */
export function registerToken(program: Command, session: () => CliSession): void {
  const token = program.command('token').description('manage API tokens for `cairn server`');
  token
    .command('create')
    .description('create a token and print it once (it is stored only as a hash)')
    .addOption(roleOption().makeOptionMandatory())
    .option('--expires <duration>', 'lifetime such as 15m, 12h, 30d or 4w (default: until revoked)')
    .option('--name <label>', 'a label, e.g. ci')
    .option('--store <uri>', STORE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { role: Role; expires?: string; name?: string; store?: string; json?: boolean }) => {
      const s = session();
      const expiresInMs = opts.expires === undefined ? undefined : parseDuration(opts.expires);
      const created = await withAuthStore(s, opts.store, (auth) =>
        auth.createToken({
          role: opts.role,
          createdBy: cliUser(),
          ...(expiresInMs !== undefined ? { expiresInMs } : {}),
          ...(opts.name !== undefined ? { name: opts.name } : {}),
        }),
      );
      if (opts.json) return s.json({ token: created.token, ...created.info });
      const { info } = created;
      // The token alone on stdout, so TOKEN=$(cairn token create …) captures just it.
      s.io.stderr.write(
        `created token ${info.id} (role ${info.role}${info.name ? `, name ${info.name}` : ''}, ` +
          `${info.expiresAt === null ? 'does not expire' : `expires ${when(info.expiresAt)}`})\n` +
          'copy it now: it cannot be shown again. MLflow clients read it from MLFLOW_TRACKING_TOKEN.\n',
      );
      s.out(created.token);
    });
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--store <uri>', STORE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { store?: string; json?: boolean }) => {
      const s = session();
      const tokens = await withAuthStore(s, opts.store, (auth) => auth.listTokens());
      if (opts.json) return s.json(tokens);
      if (tokens.length === 0) return s.out('No tokens. Create one with: cairn token create --role admin');
      const now = Date.now();
      s.out(
        table([
          ['ID', 'ROLE', 'NAME', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
          ...tokens.map((t) => [
            t.id,
            t.role,
            t.name ?? '-',
            status(t, now),
            when(t.createdAt),
            t.expiresAt === null ? 'never' : when(t.expiresAt),
            t.lastUsedAt === null ? 'never' : when(t.lastUsedAt),
          ]),
        ]),
      );
    });
  token
    .command('revoke')
    .description('revoke a token at once')
    .argument('<id>', 'the token id (cairn token list shows it)')
    .option('--store <uri>', STORE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { store?: string; json?: boolean }) => {
      const s = session();
      const info = await withAuthStore(s, opts.store, (auth) => auth.revokeToken(id));
      if (opts.json) return s.json(info);
      s.out(`revoked token ${info.id}${info.name ? ` (${info.name})` : ''}`);
    });

  const user = program
    .command('user')
    .description('manage users who sign in to `cairn server` with a password');
  user
    .command('add')
    .description('add a user; the password is read from standard input')
    .argument('<name>')
    .addOption(roleOption().makeOptionMandatory())
    .option('--password-stdin', 'read the password from standard input (required)')
    .option('--store <uri>', STORE_HELP)
    .option('--json', 'print the result as JSON')
    .action(
      async (name: string, opts: { role: Role; passwordStdin?: boolean; store?: string; json?: boolean }) => {
        const s = session();
        const password = await passwordFromStdin(opts.passwordStdin);
        const created = await withAuthStore(s, opts.store, (auth) =>
          auth.createUser({ name, password, role: opts.role }),
        );
        if (opts.json) return s.json(created);
        s.out(`added user ${created.name} (role ${created.role})`);
      },
    );
  user
    .command('set-password')
    .description("replace a user's password, read from standard input")
    .argument('<name>')
    .option('--password-stdin', 'read the password from standard input (required)')
    .option('--store <uri>', STORE_HELP)
    .action(async (name: string, opts: { passwordStdin?: boolean; store?: string }) => {
      const s = session();
      const password = await passwordFromStdin(opts.passwordStdin);
      await withAuthStore(s, opts.store, (auth) => auth.setPassword(name, password));
      s.out(`changed the password of ${name}`);
    });
  user
    .command('list')
    .description('list users')
    .option('--store <uri>', STORE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { store?: string; json?: boolean }) => {
      const s = session();
      const users = await withAuthStore(s, opts.store, (auth) => auth.listUsers());
      if (opts.json) return s.json(users);
      if (users.length === 0)
        return s.out('No users. Add one with: cairn user add <name> --role viewer --password-stdin');
      s.out(table([['NAME', 'ROLE', 'CREATED'], ...users.map((u) => [u.name, u.role, when(u.createdAt)])]));
    });
}

function roleOption(): Option {
  return new Option(
    '--role <role>',
    'viewer (read), editor (also write) or admin (also manage users and tokens)',
  ).choices(ROLES);
}

async function withAuthStore<T>(
  s: CliSession,
  uri: string | undefined,
  fn: (auth: AuthStore) => Promise<T>,
): Promise<T> {
  let target = uri;
  if (target === undefined) {
    try {
      target = (await s.config()).config.metadata.uri;
    } catch (err) {
      if (isCairnError(err) && err.code === 'FAILED_PRECONDITION')
        throw errors.precondition(err.message, {
          cause: err,
          hint: 'run it in the workspace `cairn server` serves, or name the store: --store postgresql://… or --store sqlite:///abs/path.db',
        });
      throw err;
    }
  }
  const metadata = await openMetadataStore(target, SECURITY_MIGRATIONS);
  try {
    return await fn(new AuthStore(metadata));
  } finally {
    await metadata.close();
  }
}

async function passwordFromStdin(enabled: boolean | undefined): Promise<string> {
  const hint = `pipe it in, e.g. printf '%s' "$PASSWORD" | cairn user add alice --role viewer --password-stdin`;
  if (!enabled)
    throw errors.invalid('the password is read from standard input: pass --password-stdin', { hint });
  if (process.stdin.isTTY)
    throw errors.invalid('--password-stdin reads a pipe, not a terminal (it would echo the password)', {
      hint,
    });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is what `echo` adds, not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function cliUser(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function status(t: TokenInfo, now: number): string {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  return 'active';
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
}
