import { SaxesParser } from 'saxes';

/**
 * XMLTV guides (xmltv.dtd) read as a stream with saxes: channels and programmes are handed out as
 * they close, so a guide of hundreds of megabytes never sits in memory; only the programmes of
 * wanted channels are built at all.
 */

export interface GuideChannel {
  id: string;
  names: string[];
  icon: string | null;
}

export interface Programme {
  channel: string;
  /** ms since the epoch. */
  start: number;
  /** ms since the epoch; null when the guide gives none (the next start on the channel is used). */
  stop: number | null;
  title: string;
  sub_title: string | null;
  desc: string | null;
  categories: string[];
  /** 1-based, from xmltv_ns (0-based in the file) or an onscreen S01E02. */
  season: number | null;
  episode: number | null;
}

/**
 * XMLTV time: `YYYYMMDDhhmmss` or any leading part of it, optionally followed by a zone such as
 * `+0300` or `-0130`; no zone is UTC (DTD). NaN when unreadable. Pure.
 */
export function parseXmltvTime(text: string): number {
  const m = /^\s*(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2})|Z|UTC|GMT)?\s*$/i.exec(text);
  if (!m) return NaN;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, zh = '00', zm = '00'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!sign) return utc;
  const offset = (Number(zh) * 60 + Number(zm)) * 60_000;
  return sign === '+' ? utc - offset : utc + offset;
}

/**
 * episode-num: `xmltv_ns` is `season.episode.part`, each 0-based and each maybe `X/Y`; `onscreen`
 * (the default system) is as shown, e.g. S01E02 or 1x02. Returns 1-based numbers. Pure.
 */
export function parseEpisodeNum(system: string | undefined, text: string): { season: number | null; episode: number | null } {
  const sys = (system ?? 'onscreen').toLowerCase();
  if (sys === 'xmltv_ns') {
    const [s = '', e = ''] = text.split('.');
    const first = (part: string): number | null => {
      const n = /^\s*(\d+)/.exec(part);
      return n ? Number(n[1]) + 1 : null;
    };
    return { season: first(s), episode: first(e) };
  }
  const se = /s(\d{1,3})\s*[.\-_ ]?\s*e(\d{1,4})/i.exec(text) ?? /(?<!\d)(\d{1,2})x(\d{1,3})(?!\d)/i.exec(text);
  if (se) return { season: Number(se[1]), episode: Number(se[2]) };
  const ep = /(?:^|\s)e(?:p(?:isode)?)?\.?\s*(\d{1,4})\b/i.exec(text);
  return { season: null, episode: ep ? Number(ep[1]) : null };
}

export interface ParseHandlers {
  /** Whether to build the programmes of this channel id (default: all). */
  wants?: (channelId: string) => boolean;
  channel?: (c: GuideChannel) => void;
  programme?: (p: Programme) => void;
}

export interface XmltvStream {
  write(text: string): void;
  close(): { channels: number; programmes: number; skipped: number };
}

/** A streaming XMLTV reader: write() text as it arrives, close() at the end. Throws on malformed XML. */
export function xmltvStream(handlers: ParseHandlers): XmltvStream {
  const parser = new SaxesParser({ xmlns: false, position: false });
  let channel: GuideChannel | null = null;
  let programme: (Programme & { ok: boolean; titleLang: string | null }) | null = null;
  let text = '';
  let capture: string | null = null;
  let episodeSystem: string | undefined;
  const counts = { channels: 0, programmes: 0, skipped: 0 };

  parser.on('opentag', (tag) => {
    const a = tag.attributes as Record<string, string>;
    switch (tag.name) {
      case 'channel':
        channel = { id: a.id ?? '', names: [], icon: null };
        break;
      case 'programme': {
        const ch = a.channel ?? '';
        if (handlers.wants && !handlers.wants(ch)) {
          counts.skipped++;
          programme = null;
          capture = null;
          break;
        }
        const start = parseXmltvTime(a.start ?? '');
        const stop = a.stop ? parseXmltvTime(a.stop) : NaN;
        programme = {
          channel: ch,
          start,
          stop: Number.isFinite(stop) ? stop : null,
          title: '',
          sub_title: null,
          desc: null,
          categories: [],
          season: null,
          episode: null,
          ok: Number.isFinite(start),
          titleLang: null,
        };
        break;
      }
      case 'display-name':
      case 'title':
      case 'sub-title':
      case 'desc':
      case 'category':
      case 'episode-num':
        if (channel || programme) {
          capture = tag.name;
          text = '';
          if (tag.name === 'episode-num') episodeSystem = a.system;
        }
        break;
      case 'icon':
        if (channel && !channel.icon && a.src && /^https?:\/\//i.test(a.src)) channel.icon = a.src;
        break;
    }
  });
  parser.on('text', (t) => {
    if (capture) text += t;
  });
  parser.on('cdata', (t) => {
    if (capture) text += t;
  });
  parser.on('closetag', (tag) => {
    const value = text.trim();
    if (capture === tag.name) {
      capture = null;
      if (channel && tag.name === 'display-name' && value) channel.names.push(value);
      else if (programme) {
        if (tag.name === 'title' && !programme.title) programme.title = value;
        else if (tag.name === 'sub-title' && programme.sub_title === null) programme.sub_title = value || null;
        else if (tag.name === 'desc' && programme.desc === null) programme.desc = value ? value.slice(0, 2000) : null;
        else if (tag.name === 'category' && value && programme.categories.length < 5) programme.categories.push(value);
        else if (tag.name === 'episode-num' && programme.episode === null) {
          const n = parseEpisodeNum(episodeSystem, value);
          if (n.episode !== null) {
            programme.season = n.season;
            programme.episode = n.episode;
          }
        }
      }
      text = '';
    }
    if (tag.name === 'channel' && channel) {
      counts.channels++;
      handlers.channel?.(channel);
      channel = null;
    } else if (tag.name === 'programme' && programme) {
      const { ok, titleLang: _lang, ...p } = programme;
      if (ok && p.title) {
        counts.programmes++;
        handlers.programme?.(p);
      }
      programme = null;
    }
  });
  let failure: Error | null = null;
  parser.on('error', (err) => {
    failure ??= err;
  });
  return {
    write(chunk: string) {
      if (failure) throw failure;
      parser.write(chunk);
      if (failure) throw failure;
    },
    close() {
      parser.close();
      if (failure) throw failure;
      return counts;
    },
  };
}
