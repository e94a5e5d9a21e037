import { createHash } from 'node:crypto';

/**
 * Live channels of a playlist source, as a sync keeps them (instead of dropping them) and the
 * Channels view lists them. Pure: building, searching and grouping; the files are channel-store.ts's.
 */
export interface Channel {
  /** Stable across syncs: the source, the tvg-id (else the name) and the URL. */
  id: string;
  source_id: string;
  name: string;
  group: string | null;
  logo: string | null;
  tvg_id: string | null;
  tvg_name: string | null;
  /** tvg-chno, when the list numbers its channels. */
  number: string | null;
  /** The URL as listed (a source kind resolves it to the one to request). */
  url: string;
  /** Headers the list gives for this stream (#EXTVLCOPT, pipe suffix, KODIPROP). */
  headers: Record<string, string>;
}

/** What a sync sees of a live entry. */
export interface ChannelEntry {
  title: string;
  url: string;
  attrs?: Readonly<Record<string, string>>;
  tvgName?: string | null;
  tvgLogo: string | null;
  headers: Record<string, string>;
}

export function channelId(sourceId: string, key: string, url: string): string {
  return createHash('sha1').update(`${sourceId}\n${key}\n${url}`).digest('base64url').slice(0, 16);
}

/** A channel from a classified live entry; `cleanName` is the classifier's clean title. */
export function channelFrom(sourceId: string, entry: ChannelEntry, cleanName: string, group: string | null): Channel {
  const attrs = entry.attrs ?? {};
  const tvgId = attrs['tvg-id']?.trim() || null;
  const name = cleanName.trim() || entry.title.trim() || entry.tvgName?.trim() || 'Channel';
  return {
    id: channelId(sourceId, tvgId ?? name, entry.url),
    source_id: sourceId,
    name,
    group,
    logo: entry.tvgLogo && /^https?:\/\//i.test(entry.tvgLogo) ? entry.tvgLogo : null,
    tvg_id: tvgId,
    tvg_name: entry.tvgName?.trim() || null,
    number: attrs['tvg-chno']?.trim() || null,
    url: entry.url,
    headers: { ...entry.headers },
  };
}

/** Lower case, no diacritics, no punctuation: "Canal+ Sport HD" and "canal sport hd" meet. */
export function normaliseName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export interface ChannelQuery {
  q?: string | undefined;
  group?: string | undefined;
  source_id?: string | undefined;
  limit: number;
  offset: number;
}

export interface ChannelPage {
  items: Channel[];
  total: number;
  /** Every group of the channels the other filters leave, with its count, for the group filter. */
  groups: Array<{ name: string; count: number }>;
}

/** Search (every word of `q` in the name, group or tvg-id), group filter, paging, the group list. */
export function queryChannels(channels: readonly Channel[], query: ChannelQuery): ChannelPage {
  const words = query.q ? normaliseName(query.q).split(' ').filter(Boolean) : [];
  const matching = channels.filter((c) => {
    if (query.source_id && c.source_id !== query.source_id) return false;
    if (words.length === 0) return true;
    const hay = normaliseName(`${c.name} ${c.group ?? ''} ${c.tvg_id ?? ''}`);
    return words.every((w) => hay.includes(w));
  });
  const groups = new Map<string, number>();
  for (const c of matching) if (c.group) groups.set(c.group, (groups.get(c.group) ?? 0) + 1);
  const inGroup = query.group ? matching.filter((c) => c.group === query.group) : matching;
  return {
    items: inGroup.slice(query.offset, query.offset + query.limit),
    total: inGroup.length,
    groups: [...groups].map(([name, count]) => ({ name, count })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
