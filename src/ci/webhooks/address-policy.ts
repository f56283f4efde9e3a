import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { errors } from '../../kernel/errors.ts';

/** Address ranges that are not the public internet: loopback, private, link-local, CGNAT, reserved… */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const NON_PUBLIC_V6 = [
  '::/128',
  '::1/128',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

function addSubnet(list: BlockList, cidr: string, label: string): void {
  const [net, bits] = cidr.split('/');
  const family = isIP(net ?? '');
  const prefix = Number(bits ?? (family === 6 ? 128 : 32));
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
    throw errors.invalid(`${label}: "${cidr}" is not an IP address or CIDR range`, {
      hint: 'write e.g. 127.0.0.0/8, 10.1.2.3 or fd00::/8',
    });
  list.addSubnet(net as string, prefix, family === 6 ? 'ipv6' : 'ipv4');
}

const nonPublic = new BlockList();
for (const cidr of NON_PUBLIC_V4) addSubnet(nonPublic, cidr, 'range');
for (const cidr of NON_PUBLIC_V6) addSubnet(nonPublic, cidr, 'range');

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, 6to4, NAT64), if any. */
function embeddedV4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1];
  const groups = expandV6(lower);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (groups.slice(0, 6).every((g, i) => (i === 5 ? g === 0xffff : g === 0)))
    return v4(groups[6] as number, groups[7] as number);
  if (groups[0] === 0x2002) return v4(groups[1] as number, groups[2] as number);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0))
    return v4(groups[6] as number, groups[7] as number);
  return undefined;
}

function expandV6(address: string): number[] | undefined {
  if (address.includes('.')) return undefined;
  const [head, tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}

/**
 * Which addresses webhook deliveries may reach: public addresses, and the non-public ranges the
 * server allows (`cairn server --webhook-networks`). Every address a host name resolves to is
 * checked, when a webhook is saved and again when each delivery connects (the connection uses the
 * address that was checked, so a name that changes its answer in between reaches nothing new).
 */
export class AddressPolicy {
  readonly #allowed = new BlockList();
  readonly #allowedText: readonly string[];

  /** `allowedNetworks`: CIDR ranges or single addresses that may be reached though not public. */
  constructor(allowedNetworks: readonly string[] = []) {
    for (const cidr of allowedNetworks) addSubnet(this.#allowed, cidr, '--webhook-networks');
    this.#allowedText = allowedNetworks;
  }

  /** Why `address` may not be reached (`a private … address`), or undefined when it may. */
  refusal(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return 'not an IP address';
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.#allowed.check(address, type)) return undefined;
    const v4 = family === 6 ? embeddedV4(address) : undefined;
    if (v4 !== undefined && this.#allowed.check(v4, 'ipv4')) return undefined;
    const blocked = nonPublic.check(address, type) || (v4 !== undefined && nonPublic.check(v4, 'ipv4'));
    return blocked ? 'a private, loopback, link-local or reserved address' : undefined;
  }

  /** Resolves `host` and checks every address; throws PERMISSION_DENIED naming the first refused one. */
  async check(host: string): Promise<LookupAddress[]> {
    const addresses = await resolveAll(host);
    for (const a of addresses) this.#refuse(host, a.address);
    return addresses;
  }

  /** A `lookup` for node:http that resolves, checks every address, and connects to a checked one. */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    this.check(hostname).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };

  #refuse(host: string, address: string): void {
    const why = this.refusal(address);
    if (why === undefined) return;
    throw errors.invalid(
      `webhook URL host ${host} ${host === address ? 'is' : `resolves to ${address}, which is`} not a public address: ${why}`,
      {
        hint:
          this.#allowedText.length > 0
            ? `allowed non-public networks: ${this.#allowedText.join(', ')}; add its range to cairn server --webhook-networks if it must be reached`
            : 'to deliver to a receiver on a private network, start the server with --webhook-networks <its range> (e.g. 10.0.0.0/8)',
        details: { host, address },
      },
    );
  }
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family !== 0) return Promise.resolve([{ address: bare, family }]);
  return new Promise((resolve, reject) =>
    dnsLookup(bare, { all: true, verbatim: true }, (err, addresses) => {
      if (err || addresses.length === 0)
        reject(
          errors.invalid(
            `webhook URL host ${bare} does not resolve${err ? ` (${err.code ?? err.message})` : ''}`,
            {
              hint: 'check the host name of the webhook URL',
            },
          ),
        );
      else resolve(addresses);
    }),
  );
}
