import { errors } from '../../kernel/errors.ts';

/** A Temporal service and namespace, as `temporal://host:port/namespace` names them. */
export interface TemporalTarget {
  /** `host:port`, as the SDK connects to it. */
  address: string;
  namespace: string;
  /** Connect with TLS (`temporals://`), as Temporal Cloud and TLS-fronted servers need. */
  tls: boolean;
  /** The URI as given, for messages. */
  uri: string;
}

export const TEMPORAL_DEFAULT_PORT = 7233;
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)$/;

/** Whether a value names a Temporal service rather than the local executor. */
export function isTemporalUri(value: string): boolean {
  return /^temporals?:\/\//.test(value);
}

/**
 * Parses `temporal://host[:port][/namespace]` (`temporals://` for TLS); the port defaults to
 * 7233 and the namespace to `default`. `setting` names where the value came from, for errors.
 *
 * @example parseTemporalUri('temporal://127.0.0.1:7233/ml', '--executor') // { address: '127.0.0.1:7233', namespace: 'ml', … }
 */
export function parseTemporalUri(uri: string, setting: string): TemporalTarget {
  const bad = (why: string) =>
    errors.invalid(`${setting} ${uri}: ${why}`, {
      hint: 'use temporal://host:7233 or temporal://host:7233/namespace (temporals:// for TLS)',
    });
  const m = /^(temporals?):\/\/([^/?#]*)(?:\/([^/?#]*))?\/?$/.exec(uri);
  if (!m) throw bad('not a temporal:// URI');
  const [, scheme, authority = '', ns] = m;
  const hostPort = /^(.*?)(?::(\d+))?$/.exec(authority) as RegExpExecArray;
  const host = hostPort[1] ?? '';
  if (!HOST.test(host)) throw bad(`"${host}" is not a host name`);
  const port = hostPort[2] === undefined ? TEMPORAL_DEFAULT_PORT : Number(hostPort[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${hostPort[2]} is out of range`);
  const namespace = ns === undefined || ns === '' ? 'default' : decodeURIComponent(ns);
  if (!NAMESPACE.test(namespace)) throw bad(`"${namespace}" is not a namespace name`);
  return { address: `${host}:${port}`, namespace, tls: scheme === 'temporals', uri };
}
