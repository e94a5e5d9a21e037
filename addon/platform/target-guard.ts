import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

/**
 * Which download targets are refused (a server-side request forgery guard). Loopback and LAN
 * addresses stay allowed: home users download from their own NAS. Refused unless
 * allow_private_targets: link-local addresses, where cloud metadata services live
 * (169.254.0.0/16 with 169.254.169.254, fe80::/10, AWS's fd00:ec2::254), and this server's
 * own port on any of its own addresses (a URL that would make it call its own API).
 */
export interface TargetPolicy {
  allowPrivate: boolean;
  /** The port the API listens on, once it does. */
  ownPort: () => number | null;
}

const METADATA_V6 = new Set(['fd00:ec2::254']);

function v4Parts(address: string): number[] | null {
  const m = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(address);
  return m ? m.slice(1).map(Number) : null;
}

function expandV6(address: string): string {
  const [head, tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

function isLinkLocal(address: string): boolean {
  const v4 = v4Parts(address);
  if (v4) return v4[0] === 169 && v4[1] === 254;
  if (isIP(address) !== 6) return false;
  const full = expandV6(address.split('%')[0]!);
  return /^fe[89ab]/.test(full) || METADATA_V6.has(address.toLowerCase()) || full === expandV6('fd00:ec2::254');
}

function isSelf(address: string): boolean {
  const v4 = v4Parts(address);
  if (v4) {
    if (v4[0] === 127 || v4.every((n) => n === 0)) return true;
  } else if (address === '::1' || address === '::') return true;
  const bare = address.replace(/^::ffff:/i, '').split('%')[0]!.toLowerCase();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.address.toLowerCase() === bare) return true;
  }
  return false;
}

/** Why `address:port` may not be fetched, or null when it may. `address` is an IP. */
export function refusedTarget(address: string, port: number, policy: TargetPolicy): string | null {
  if (policy.allowPrivate) return null;
  if (isLinkLocal(address)) return `${address} is a link-local address (where cloud metadata services answer); set allow_private_targets to allow it`;
  const own = policy.ownPort();
  if (own !== null && port === own && isSelf(address)) return `${address}:${port} is this server itself`;
  return null;
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** The host of a URL as an IP when it is an IP literal, else null (a name: checked after DNS). */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return '127.0.0.1';
  return isIP(host) ? host : null;
}
