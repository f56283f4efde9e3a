import { join } from 'node:path';
import { parseBlobUrl } from '../blobs/open-blob-store.ts';
import { writeFileAtomic } from '../kernel/atomic-file.ts';
import {
  type CairnConfig,
  CONFIG_FILE,
  LOCAL_CONFIG_FILE,
  parseRemoteSetting,
  type RemoteConfig,
  readConfigDocument,
  WORKSPACE_DIR,
} from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';

export interface RemoteSettings {
  url: string;
  /** Also make it the default remote. */
  default?: boolean;
  /** Replace an existing remote of that name. */
  force?: boolean;
  /** Write to config.local.yaml (not committed) instead of config.yaml. */
  local?: boolean;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `cairn remote add`: records a remote in the workspace config, keeping the file's comments. */
export async function addRemote(
  root: string,
  config: Readonly<CairnConfig>,
  name: string,
  settings: RemoteSettings,
): Promise<void> {
  if (!NAME.test(name))
    throw errors.invalid(`remote name ${JSON.stringify(name)} is not valid`, {
      hint: 'use letters, digits, ".", "_" and "-" (e.g. origin, s3-backup)',
    });
  parseBlobUrl(settings.url);
  if (config.remotes[name] && !settings.force)
    throw errors.exists(`remote "${name}" exists already (${config.remotes[name].url})`, {
      hint: 'pass --force to replace it',
    });
  const path = join(root, WORKSPACE_DIR, settings.local ? LOCAL_CONFIG_FILE : CONFIG_FILE);
  const doc = await readConfigDocument(path);
  const remote: RemoteConfig = { url: settings.url };
  if (settings.endpoint !== undefined) remote.endpoint = settings.endpoint;
  if (settings.region !== undefined) remote.region = settings.region;
  if (settings.pathStyle !== undefined) remote.path_style = settings.pathStyle;
  doc.setIn(['remotes', name], doc.createNode(remote));
  if (settings.default) doc.setIn(['core', 'remote'], name);
  await writeFileAtomic(path, doc.toString());
}

/** `cairn remote default`: makes `name` the default remote. */
export async function setDefaultRemote(
  root: string,
  config: Readonly<CairnConfig>,
  name: string,
): Promise<void> {
  if (!config.remotes[name])
    throw errors.notFound(`remote "${name}" is not configured`, {
      hint: 'add it first: cairn remote add <name> <url>',
    });
  const path = join(root, WORKSPACE_DIR, CONFIG_FILE);
  const doc = await readConfigDocument(path);
  doc.setIn(['core', 'remote'], name);
  await writeFileAtomic(path, doc.toString());
}

/** `cairn remote remove`: deletes a remote from whichever config files mention it. */
export async function removeRemote(root: string, config: Readonly<CairnConfig>, name: string): Promise<void> {
  if (!config.remotes[name]) throw errors.notFound(`remote "${name}" is not configured`);
  for (const file of [CONFIG_FILE, LOCAL_CONFIG_FILE]) {
    const path = join(root, WORKSPACE_DIR, file);
    const doc = await readConfigDocument(path);
    if (!doc.hasIn(['remotes', name]) && doc.getIn(['core', 'remote']) !== name) continue;
    doc.deleteIn(['remotes', name]);
    if (doc.getIn(['core', 'remote']) === name) doc.deleteIn(['core', 'remote']);
    await writeFileAtomic(path, doc.toString());
  }
}

/** `cairn remote modify`: sets one setting of a remote, e.g. credentials into config.local.yaml. */
export async function setRemoteOption(
  root: string,
  config: Readonly<CairnConfig>,
  name: string,
  key: string,
  text: string,
  options: { local?: boolean } = {},
): Promise<void> {
  if (!config.remotes[name])
    throw errors.notFound(`remote "${name}" is not configured`, {
      hint: 'add it first: cairn remote add <name> <url>',
    });
  const value = parseRemoteSetting(key, text);
  if (key === 'url') parseBlobUrl(String(value));
  const path = join(root, WORKSPACE_DIR, options.local ? LOCAL_CONFIG_FILE : CONFIG_FILE);
  const doc = await readConfigDocument(path);
  doc.setIn(['remotes', name, key], value);
  await writeFileAtomic(path, doc.toString());
}
