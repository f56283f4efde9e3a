import { BlockList, isIP } from 'node:net';
import { errors } from '../kernel/errors.ts';

export interface AuthFlags {
  /** The address the server binds to (`--host`); empty means every interface. */
  host: string;
  /** `--auth`: require credentials even on a loopback address. */
  auth?: boolean;
  /** `--insecure-no-auth`: serve without credentials even on a non-loopback address. */
  insecureNoAuth?: boolean;
}

export interface AuthDecision {
  enabled: boolean;
  /** Why, in a few words, for the startup line. */
  reason: string;
  /** Print this at start (to stderr and the log) when set. */
  warning?: string;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1 (also written in full or as
 * an IPv4-mapped address) and `localhost`. Any other name counts as reachable from outside, since
 * what it resolves to can change; `0.0.0.0`, `::` and the empty host mean every interface.
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 0) return false;
  return LOOPBACK.check(h, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Whether `cairn server` requires credentials: with `--auth`, and always on an address other
 * machines can reach unless `--insecure-no-auth` says otherwise (which earns a warning).
 *
 * @example
 * decideAuth({ host: '0.0.0.0' }) // { enabled: true, reason: 'bound to 0.0.0.0, which is not a loopback address' }
 */
export function decideAuth(flags: AuthFlags): AuthDecision {
  if (flags.auth && flags.insecureNoAuth)
    throw errors.invalid('--auth and --insecure-no-auth contradict each other', { hint: 'pass one of them' });
  const where = flags.host.trim() === '' ? 'every interface' : flags.host;
  const loopback = isLoopbackHost(flags.host);
  if (flags.auth) return { enabled: true, reason: '--auth' };
  if (loopback) return { enabled: false, reason: `bound to the loopback address ${where}` };
  if (!flags.insecureNoAuth)
    return { enabled: true, reason: `bound to ${where}, which is not a loopback address` };
  return {
    enabled: false,
    reason: '--insecure-no-auth',
    warning:
      `authentication is OFF while listening on ${where} (--insecure-no-auth): anyone who can reach ` +
      'this server can read and change every experiment, run, model and artifact. ' +
      'Drop --insecure-no-auth and create a token with: cairn token create --role admin',
  };
}
