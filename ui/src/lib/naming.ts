/**
 * A preview of a naming template with sample values, as the settings form shows while typing.
 * The server renders the real names (addon/library/naming.ts, with sanitising); this follows the
 * same template language: `{token}`, `{token:00}` zero-padding, `[ ... ]` optional sections
 * dropped when a token inside is empty, `{{ }}` and `[[ ]]` literals.
 */
export const SAMPLE = {
  movie: { title: 'Dune Part Two', year: '2024', ext: 'mkv', quality: '1080p', tmdb_id: '693134', show: '', season: '', episode: '', episode_title: '' },
  series: { title: 'The Boys', show: 'The Boys', year: '2019', season: '4', episode: '8', episode_title: 'Assembly', ext: 'mp4', quality: '1080p', tmdb_id: '76479' },
  novela: { title: 'Avenida Brasil', show: 'Avenida Brasil', year: '2012', season: '1', episode: '102', episode_title: '', ext: 'mp4', quality: '720p', tmdb_id: '' },
  other: { title: 'Conference keynote', year: '', ext: 'mp4', quality: '', tmdb_id: '', show: '', season: '', episode: '', episode_title: '' },
} as const;

type Values = Record<string, string>;

function token(name: string, pad: string | undefined, values: Values): string {
  const v =
    name === 'plex_tmdb' ? (values.tmdb_id ? `{tmdb-${values.tmdb_id}}` : '') : name === 'jellyfin_tmdb' ? (values.tmdb_id ? `[tmdbid-${values.tmdb_id}]` : '') : (values[name] ?? '');
  if (pad && v && /^\d+$/.test(v)) return v.padStart(pad.length, '0');
  return v;
}

function renderPlain(text: string, values: Values): { out: string; empty: boolean } {
  let empty = false;
  const out = text.replace(/\{([a-z_]+)(?::(0+))?\}/g, (_m, name: string, pad: string | undefined) => {
    const v = token(name, pad, values);
    if (!v) empty = true;
    return v;
  });
  return { out, empty };
}

export function previewName(template: string, values: Values): string {
  const L = '\u0001';
  const R = '\u0002';
  const LB = '\u0003';
  const RB = '\u0004';
  const t = template.replaceAll('{{', L).replaceAll('}}', R).replaceAll('[[', LB).replaceAll(']]', RB);
  const withOptional = t.replace(/\[([^\]]*)\]/g, (_m, inner: string) => {
    const r = renderPlain(inner, values);
    return r.empty ? '' : r.out;
  });
  let out = renderPlain(withOptional, values).out;
  out = out
    .replace(/\(\s*\)|\[\s*\]/g, '')
    .replace(/[ \t]+/g, ' ')
    .split('/')
    .map((part) => part.replace(/^[\s\-_.,;]+|[\s\-_,;]+$/g, '').replace(/[\s\-_,;]+(\.[A-Za-z0-9]+)$/, '$1'))
    .filter(Boolean)
    .join('/');
  return out.replaceAll(L, '{').replaceAll(R, '}').replaceAll(LB, '[').replaceAll(RB, ']');
}
