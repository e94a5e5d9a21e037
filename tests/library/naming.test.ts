import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEMPLATES,
  NAMING_TOKENS,
  pathForJob,
  renderPath,
  TemplateError,
  validateTemplate,
  type JobNamingData,
  type NamingData,
} from '../../addon/library/naming.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Properties every rendered path has, whatever the data. */
function expectSafePath(path: string): void {
  expect(path).not.toBe('');
  expect(path.startsWith('/')).toBe(false);
  const parts = path.split('/');
  parts.forEach((part, idx) => {
    expect(part).not.toBe('');
    expect(part).not.toMatch(/^\.+$/);
    expect(part).not.toMatch(/^[.\s-]|[.\s]$/);
    expect(part).not.toMatch(/[<>:"\\|?*\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
    expect(bytes(part)).toBeLessThanOrEqual(idx === parts.length - 1 ? 250 : 255);
  });
}

describe('DEFAULT_TEMPLATES', () => {
  it.each(Object.entries(DEFAULT_TEMPLATES))('%s is valid', (_type, template) => {
    expect(validateTemplate(template)).toEqual([]);
  });
});

describe('renderPath with the default templates', () => {
  const { movie, series, novela, other } = DEFAULT_TEMPLATES;
  it.each<[string, string, NamingData, string]>([
    // movies
    ['movie', movie, { title: 'The Matrix', year: 1999, ext: 'mkv' }, 'Movies/The Matrix (1999)/The Matrix (1999).mkv'],
    ['movie, year as string', movie, { title: 'Dune', year: '2021', ext: 'mp4' }, 'Movies/Dune (2021)/Dune (2021).mp4'],
    ['Portuguese title', movie, { title: 'Ainda Estou Aqui', year: 2024, ext: 'mp4' }, 'Movies/Ainda Estou Aqui (2024)/Ainda Estou Aqui (2024).mp4'],
    [
      'colon in title',
      movie,
      { title: 'Missão: Impossível', year: 1996, ext: 'mkv' },
      'Movies/Missão - Impossível (1996)/Missão - Impossível (1996).mkv',
    ],
    ['NFD title composed', movie, { title: 'Missa\u0303o Sucesso', year: 2002, ext: 'mp4' }, 'Movies/Missão Sucesso (2002)/Missão Sucesso (2002).mp4'],
    ['missing year: no () and no trailing space', movie, { title: 'Title', ext: 'mp4' }, 'Movies/Title/Title.mp4'],
    ['null year', movie, { title: 'Title', year: null, ext: 'mp4' }, 'Movies/Title/Title.mp4'],
    ['bad year ignored', movie, { title: 'Title', year: 'soon', ext: 'mp4' }, 'Movies/Title/Title.mp4'],
    ['two-digit year ignored', movie, { title: 'Title', year: 99, ext: 'mp4' }, 'Movies/Title/Title.mp4'],
    ['title with own parentheses kept', movie, { title: '(500) Days of Summer', year: 2009, ext: 'mp4' }, 'Movies/(500) Days of Summer (2009)/(500) Days of Summer (2009).mp4'],
    ['title ending in dots', movie, { title: 'What If...?', year: 2021, ext: 'mp4' }, 'Movies/What If (2021)/What If (2021).mp4'],
    ['ext with dot', movie, { title: 'T', year: 2000, ext: '.mkv' }, 'Movies/T (2000)/T (2000).mkv'],
    ['no ext', movie, { title: 'T', year: 2000 }, 'Movies/T (2000)/T (2000)'],
    ['no title: stem falls back', movie, { ext: 'mp4' }, 'Movies/download.mp4'],
    // traversal and hostile values
    ['traversal in title', movie, { title: '../../etc/passwd', year: 2020, ext: 'mp4' }, 'Movies/etc-passwd (2020)/etc-passwd (2020).mp4'],
    ['traversal only', other, { title: '..', ext: 'mp4' }, 'Downloads/download.mp4'],
    ['absolute path in title', other, { title: '/etc/shadow', ext: 'mp4' }, 'Downloads/etc-shadow.mp4'],
    ['backslash traversal', other, { title: '..\\..\\boot.ini', ext: 'mp4' }, 'Downloads/boot.ini.mp4'],
    ['traversal in ext', other, { title: 'x', ext: '../../sh' }, 'Downloads/x.sh'],
    ['bidi override in title', other, { title: 'clip\u202Efdp.exe', ext: 'mp4' }, 'Downloads/clipfdp.exe.mp4'],
    ['control chars in title', other, { title: 'Bad\u0000\u001B[31mTitle\n', ext: 'mp4' }, 'Downloads/Bad[31mTitle.mp4'],
    ['Windows-illegal chars', other, { title: 'a<b>c:d"e|f?g*h', ext: 'mp4' }, "Downloads/abc-d'e-fgh.mp4"],
    ['reserved name as title', other, { title: 'CON', ext: 'mp4' }, 'Downloads/CON_.mp4'],
    ['reserved name with ext as title', other, { title: 'aux.txt', ext: 'mp4' }, 'Downloads/aux_.txt.mp4'],
    ['hidden-file title', other, { title: '.bashrc', ext: 'mp4' }, 'Downloads/bashrc.mp4'],
    ['title with braces is not a template', other, { title: '{show} [x]', ext: 'mp4' }, 'Downloads/{show} [x].mp4'],
    ['empty parens in a title are kept', other, { title: 'Hello ()', ext: 'mp4' }, 'Downloads/Hello ().mp4'],
    ['emoji title', other, { title: '🎬 Filme 🍿', ext: 'mp4' }, 'Downloads/🎬 Filme 🍿.mp4'],
    // series
    [
      'series with episode title',
      series,
      { show: 'Breaking Bad', season: 1, episode: 2, episode_title: 'Cat’s in the Bag...', ext: 'mkv' },
      'Series/Breaking Bad/Season 01/Breaking Bad - S01E02 - Cat’s in the Bag.mkv',
    ],
    ['series without episode title', series, { show: 'Show', season: 3, episode: 7, ext: 'mp4' }, 'Series/Show/Season 03/Show - S03E07.mp4'],
    ['blank episode title', series, { show: 'Show', season: 3, episode: 7, episode_title: '   ', ext: 'mp4' }, 'Series/Show/Season 03/Show - S03E07.mp4'],
    ['illegal-only episode title', series, { show: 'Show', season: 3, episode: 7, episode_title: '???', ext: 'mp4' }, 'Series/Show/Season 03/Show - S03E07.mp4'],
    ['specials in Season 00', series, { show: 'Doctor Who', season: 0, episode: 1, episode_title: 'Special', ext: 'mkv' }, 'Series/Doctor Who/Season 00/Doctor Who - S00E01 - Special.mkv'],
    ['episode 0', series, { show: 'Show', season: 1, episode: 0, ext: 'mkv' }, 'Series/Show/Season 01/Show - S01E00.mkv'],
    ['three-digit episode', series, { show: 'One Piece', season: 1, episode: 1071, ext: 'mkv' }, 'Series/One Piece/Season 01/One Piece - S01E1071.mkv'],
    ['three-digit episode 100', series, { show: 'Show', season: 2, episode: 100, ext: 'mkv' }, 'Series/Show/Season 02/Show - S02E100.mkv'],
    ['two-digit season', series, { show: 'The Simpsons', season: 35, episode: 12, ext: 'mkv' }, 'Series/The Simpsons/Season 35/The Simpsons - S35E12.mkv'],
    ['numbers as strings', series, { show: 'Show', season: '2', episode: '05', ext: 'mkv' }, 'Series/Show/Season 02/Show - S02E05.mkv'],
    [
      'colon in show and episode title',
      series,
      { show: 'Star Trek: Discovery', season: 1, episode: 1, episode_title: 'Part 1: Vulcan Hello', ext: 'mkv' },
      'Series/Star Trek - Discovery/Season 01/Star Trek - Discovery - S01E01 - Part 1 - Vulcan Hello.mkv',
    ],
    ['traversal in show', series, { show: '../..', season: 1, episode: 1, ext: 'mkv' }, 'Series/Season 01/S01E01.mkv'],
    // novelas
    [
      'novela chapter',
      novela,
      { show: 'Avenida Brasil', season: 1, episode: 179, episode_title: 'Capítulo Final', ext: 'mp4' },
      'Novelas/Avenida Brasil/Season 01/Avenida Brasil - S01E179 - Capítulo Final.mp4',
    ],
    ['novela early chapter', novela, { show: 'Pantanal', season: 1, episode: 7, ext: 'mp4' }, 'Novelas/Pantanal/Season 01/Pantanal - S01E07.mp4'],
    // other
    ['other', other, { title: 'Some clip', ext: 'webm' }, 'Downloads/Some clip.webm'],
  ])('%s', (_label, template, data, expected) => {
    const out = renderPath(template, data);
    expect(out).toBe(expected);
    expectSafePath(out);
  });
});

describe('renderPath with custom templates', () => {
  const data: NamingData = { title: 'Ainda Estou Aqui', year: 2024, ext: 'mkv', tmdb_id: 1000837, quality: '1080p' };
  it.each<[string, string, NamingData, string]>([
    [
      'Plex id tag',
      'Movies/{title} ({year}) {plex_tmdb}/{title} ({year}) {plex_tmdb}.{ext}',
      data,
      'Movies/Ainda Estou Aqui (2024) {tmdb-1000837}/Ainda Estou Aqui (2024) {tmdb-1000837}.mkv',
    ],
    [
      'Jellyfin id tag',
      'Movies/{title} ({year}) {jellyfin_tmdb}/{title} ({year}) {jellyfin_tmdb}.{ext}',
      data,
      'Movies/Ainda Estou Aqui (2024) [tmdbid-1000837]/Ainda Estou Aqui (2024) [tmdbid-1000837].mkv',
    ],
    [
      'id tag without an id leaves nothing',
      'Movies/{title} ({year}) {plex_tmdb}/{title} ({year}) {jellyfin_tmdb}.{ext}',
      { title: 'T', year: 2020, ext: 'mkv' },
      'Movies/T (2020)/T (2020).mkv',
    ],
    [
      'no year and no id',
      'Movies/{title} ({year}) {plex_tmdb}/{title} ({year}) {plex_tmdb}.{ext}',
      { title: 'T', ext: 'mkv' },
      'Movies/T/T.mkv',
    ],
    ['invalid tmdb id ignored', 'Movies/{title} {plex_tmdb}.{ext}', { title: 'T', tmdb_id: 'abc', ext: 'mkv' }, 'Movies/T.mkv'],
    ['bare tmdb id', 'Movies/{tmdb_id:00000000}.{ext}', data, 'Movies/01000837.mkv'],
    ['leading dots of a value dropped', 'X/{title} - {quality}.{ext}', { title: 'T', quality: '...HD', ext: 'mkv' }, 'X/T - HD.mkv'],
    ['quality in optional section', 'Movies/{title}[ - {quality}].{ext}', data, 'Movies/Ainda Estou Aqui - 1080p.mkv'],
    ['quality missing: section dropped', 'Movies/{title}[ - {quality}].{ext}', { title: 'T', ext: 'mkv' }, 'Movies/T.mkv'],
    ['section dropped if any token is empty', 'X/{title}[ ({year}, {quality})].{ext}', { title: 'T', year: 2020, ext: 'mkv' }, 'X/T.mkv'],
    ['dangling separator before ext', 'X/{title} - {quality}.{ext}', { title: 'T', ext: 'mkv' }, 'X/T.mkv'],
    ['dangling underscore', 'X/{quality}_{title}.{ext}', { title: 'T', ext: 'mkv' }, 'X/T.mkv'],
    ['double separator collapsed', 'X/{show} - {episode_title} - {title}.{ext}', { show: 'S', title: 'T', ext: 'mkv' }, 'X/S - T.mkv'],
    ['empty square brackets removed', 'X/{title} [[{quality}]].{ext}', { title: 'T', ext: 'mkv' }, 'X/T.mkv'],
    ['literal brackets with a value', 'X/{title} [[{quality}]].{ext}', data, 'X/Ainda Estou Aqui [1080p].mkv'],
    ['literal braces', 'X/{{{title}}}.{ext}', { title: 'T', ext: 'mkv' }, 'X/{T}.mkv'],
    ['empty folder dropped', '{show}/{title}.{ext}', { title: 'T', ext: 'mkv' }, 'T.mkv'],
    ['optional folder', 'Movies/[{year}/]{title}.{ext}', { title: 'T', ext: 'mkv' }, 'Movies/T.mkv'],
    ['optional folder present', 'Movies/[{year}/]{title}.{ext}', { title: 'T', year: 1999, ext: 'mkv' }, 'Movies/1999/T.mkv'],
    ['wide padding', 'X/E{episode:000}.{ext}', { episode: 7, ext: 'mkv' }, 'X/E007.mkv'],
    ['no padding', 'X/E{episode}.{ext}', { episode: 7, ext: 'mkv' }, 'X/E7.mkv'],
    ['negative episode ignored', 'X/{title}[ E{episode}].{ext}', { title: 'T', episode: -1, ext: 'mkv' }, 'X/T.mkv'],
    ['fractional season ignored', 'X/{title}[ S{season}].{ext}', { title: 'T', season: 1.5, ext: 'mkv' }, 'X/T.mkv'],
    ['illegal chars in the template itself', 'Films: Best/{title}?.{ext}', { title: 'T', ext: 'mkv' }, 'Films - Best/T.mkv'],
    ['year-first layout', 'By year/{year}/{title}.{ext}', { title: 'T', ext: 'mkv' }, 'By year/T.mkv'],
  ])('%s', (_label, template, d, expected) => {
    const out = renderPath(template, d);
    expect(out).toBe(expected);
    expectSafePath(out);
  });

  it('throws TemplateError with the problems', () => {
    try {
      renderPath('/abs/{nope}', { title: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).problems.length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('byte limits', () => {
  const long = (unit: string, n: number): string => unit.repeat(n);

  it.each<[string, NamingData]>([
    ['ASCII title of 400 chars', { title: long('a', 400), year: 2024, ext: 'mkv' }],
    ['2-byte title', { title: long('ã', 300), year: 2024, ext: 'mkv' }],
    ['3-byte title', { title: long('語', 200), year: 2024, ext: 'mkv' }],
    ['emoji title', { title: long('😀', 150), year: 2024, ext: 'mkv' }],
    ['ZWJ emoji title', { title: long('👩‍👩‍👧‍👦', 50), year: 2024, ext: 'mkv' }],
    ['colon expansion', { title: long('a:', 200), year: 2024, ext: 'mkv' }],
  ])('movie: %s keeps (year) and extension', (_label, data) => {
    const out = renderPath(DEFAULT_TEMPLATES.movie, data);
    expectSafePath(out);
    const [root, folder, file] = out.split('/');
    expect(root).toBe('Movies');
    expect(folder?.endsWith(' (2024)')).toBe(true);
    expect(file?.endsWith(' (2024).mkv')).toBe(true);
    // as full as the grapheme size allows (a ZWJ family is 25 bytes)
    expect(bytes(folder ?? '')).toBeGreaterThan(255 - 26);
    expect(bytes(file ?? '')).toBeGreaterThan(250 - 26);
    expect(bytes(`${file}.part`)).toBeLessThanOrEqual(255);
  });

  it('series: a long episode title is shortened, SxxEyy and extension stay', () => {
    const out = renderPath(DEFAULT_TEMPLATES.series, { show: 'Show', season: 1, episode: 2, episode_title: long('é', 300), ext: 'mkv' });
    expectSafePath(out);
    const file = out.split('/').pop() ?? '';
    expect(file.startsWith('Show - S01E02 - éé')).toBe(true);
    expect(file.endsWith('é.mkv')).toBe(true);
  });

  it('series: long show and episode title both fit', () => {
    const out = renderPath(DEFAULT_TEMPLATES.series, { show: long('S', 200), season: 1, episode: 2, episode_title: long('E', 200), ext: 'mkv' });
    expectSafePath(out);
    expect(out.split('/').pop()).toMatch(/ - S01E02 - E+\.mkv$/);
  });

  it('leaf reserve can be changed', () => {
    const out = renderPath(DEFAULT_TEMPLATES.other, { title: long('a', 400), ext: 'mp4' }, { leafReserveBytes: 0 });
    expect(bytes(out.split('/').pop() ?? '')).toBe(255);
  });
});

describe('validateTemplate', () => {
  it.each<[string, string, RegExp[]]>([
    ['valid', 'Movies/{title}.{ext}', []],
    ['unknown token', 'Movies/{name}.{ext}', [/unknown token \{name\}/]],
    ['unknown token with format', 'Movies/{chapter:00}.{ext}', [/unknown token/]],
    ['bad format', 'Series/{episode:xx}.{ext}', [/must be 1 to 9 zeros/]],
    ['padding a text token', 'Series/{title:00}.{ext}', [/cannot be zero-padded/]],
    ['unclosed brace', 'Movies/{title.{ext}', [/unclosed "\{"/]],
    ['stray closing brace', 'Movies/title}.{ext}', [/unbalanced "\}"/]],
    ['unclosed bracket', 'Movies/{title}[ - {quality}.{ext}', [/unclosed "\["/]],
    ['stray closing bracket', 'Movies/{title}].{ext}', [/unbalanced "\]"/]],
    ['nested brackets', 'Movies/{title}[ [{year}] - {quality}].{ext}', [/nested/, /unbalanced "\]"/]],
    ['optional section without token', 'Movies/{title} [HD].{ext}', [/has no token/]],
    ['absolute path', '/media/Movies/{title}.{ext}', [/absolute path/]],
    ['windows absolute path', 'C:/Movies/{title}.{ext}', [/absolute path/]],
    ['home path', '~/Movies/{title}.{ext}', [/absolute path/]],
    ['backslashes', 'Movies\\{title}.{ext}', [/use "\/"/]],
    ['dotdot', 'Movies/../{title}.{ext}', [/"\.\." is not allowed/]],
    ['single dot', './{title}.{ext}', [/"\." is not allowed/]],
    ['double slash', 'Movies//{title}.{ext}', [/empty folder name/]],
    ['trailing slash', 'Movies/{title}/', [/ends with "\/"/, /missing \{ext\}/]],
    ['missing ext', 'Movies/{title}', [/missing \{ext\}/]],
    ['ext in a folder', '{ext}/{title}', [/belongs in the file name/]],
    ['empty template', '', [/empty/]],
    ['blank template', '   ', [/empty/]],
  ])('%s', (_label, template, expected) => {
    const problems = validateTemplate(template);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(problems[i]).toMatch(re));
  });

  it('lists the known tokens in the unknown-token message', () => {
    const [problem] = validateTemplate('{nope}.{ext}');
    for (const token of NAMING_TOKENS) expect(problem).toContain(token);
  });

  it('returns a fresh array each time', () => {
    const a = validateTemplate('{nope}.{ext}');
    a.push('x');
    expect(validateTemplate('{nope}.{ext}')).toHaveLength(1);
  });
});

describe('pathForJob', () => {
  it.each<[string, JobNamingData, string]>([
    ['movie', { content_type: 'movie', title: 'Ainda Estou Aqui', year: 2024, ext: 'mp4' }, 'Movies/Ainda Estou Aqui (2024)/Ainda Estou Aqui (2024).mp4'],
    ['movie without year', { content_type: 'movie', title: 'Missão: Impossível', ext: 'mkv' }, 'Movies/Missão - Impossível/Missão - Impossível.mkv'],
    ['movie without title uses Untitled', { content_type: 'movie', title: '  ', ext: 'mp4' }, 'Movies/Untitled/Untitled.mp4'],
    ['series', { content_type: 'series', show: 'Dark', season: 2, episode: 5, episode_title: 'Lost and Found', ext: 'mkv' }, 'Series/Dark/Season 02/Dark - S02E05 - Lost and Found.mkv'],
    ['series special', { content_type: 'series', show: 'Dark', season: 0, episode: 1, ext: 'mkv' }, 'Series/Dark/Season 00/Dark - S00E01.mkv'],
    ['series without season is season 1', { content_type: 'series', show: 'Dark', episode: 3, ext: 'mkv' }, 'Series/Dark/Season 01/Dark - S01E03.mkv'],
    ['series without show uses title', { content_type: 'series', title: 'Dark', season: 1, episode: 1, ext: 'mkv' }, 'Series/Dark/Season 01/Dark - S01E01.mkv'],
    ['series without episode goes to other', { content_type: 'series', show: 'Dark', title: 'Dark trailer', ext: 'mkv' }, 'Downloads/Dark trailer.mkv'],
    ['novela chapter', { content_type: 'novela', show: 'Avenida Brasil', episode: 120, ext: 'mp4' }, 'Novelas/Avenida Brasil/Season 01/Avenida Brasil - S01E120.mp4'],
    [
      'novela with title as chapter name',
      { content_type: 'novela', show: 'Terra e Paixão', season: 1, episode: 221, episode_title: 'Último Capítulo', ext: 'mp4' },
      'Novelas/Terra e Paixão/Season 01/Terra e Paixão - S01E221 - Último Capítulo.mp4',
    ],
    ['other', { content_type: 'other', title: 'Clip', ext: 'mp4' }, 'Downloads/Clip.mp4'],
    ['null content type', { content_type: null, title: 'Clip', ext: 'mp4' }, 'Downloads/Clip.mp4'],
    ['missing content type', { title: 'Clip', ext: 'mp4' }, 'Downloads/Clip.mp4'],
    ['unknown content type', { content_type: 'podcast', title: 'Clip', ext: 'mp4' }, 'Downloads/Clip.mp4'],
    ['prototype key as content type', { content_type: 'constructor', title: 'Clip', ext: 'mp4' }, 'Downloads/Clip.mp4'],
    ['other without title', { content_type: 'other', ext: 'mp4' }, 'Downloads/Untitled.mp4'],
    ['traversal everywhere', { content_type: 'series', show: '../../..', title: '/etc', season: 1, episode: 1, episode_title: '../x', ext: '../mkv' }, 'Series/etc/Season 01/etc - S01E01 - x.mkv'],
    ['show that sanitises to nothing uses title', { content_type: 'series', show: '???', title: 'Real', episode: 2, ext: 'mkv' }, 'Series/Real/Season 01/Real - S01E02.mkv'],
  ])('%s', (_label, data, expected) => {
    const out = pathForJob(data);
    expect(out).toBe(expected);
    expectSafePath(out);
  });

  it.each<[string, Partial<Record<'movie' | 'series' | 'novela' | 'other', string>>, JobNamingData, string]>([
    ['custom movie template', { movie: 'Filmes/{title} ({year}) {plex_tmdb}.{ext}' }, { content_type: 'movie', title: 'T', year: 2020, tmdb_id: 5, ext: 'mkv' }, 'Filmes/T (2020) {tmdb-5}.mkv'],
    ['other types keep defaults', { movie: 'Filmes/{title}.{ext}' }, { content_type: 'series', show: 'S', episode: 1, ext: 'mkv' }, 'Series/S/Season 01/S - S01E01.mkv'],
    ['blank custom template ignored', { other: '  ' }, { title: 'T', ext: 'mkv' }, 'Downloads/T.mkv'],
    ['custom novela under Shows', { novela: 'Shows/{show}/Season {season:00}/{show} - S{season:00}E{episode:000}.{ext}' }, { content_type: 'novela', show: 'N', episode: 5, ext: 'mp4' }, 'Shows/N/Season 01/N - S01E005.mp4'],
  ])('%s', (_label, templates, data, expected) => {
    expect(pathForJob(data, templates)).toBe(expected);
  });

  it('throws on an invalid custom template', () => {
    expect(() => pathForJob({ content_type: 'movie', title: 'T', ext: 'mkv' }, { movie: '../{title}.{ext}' })).toThrow(TemplateError);
  });

  it('never produces an unsafe path for hostile data', () => {
    const nasty = ['..', '../', '/', '\\', '.', 'CON', 'nul.mp4', '\u202E', '\u0000', '', ' ', ':', '?', '😀'.repeat(80), 'é'.repeat(200), '{title}', '[x]', '()'];
    let i = 0;
    for (const type of ['movie', 'series', 'novela', 'other', null]) {
      for (const a of nasty) {
        for (const b of nasty) {
          i++;
          const out = pathForJob({ content_type: type, title: a, show: b, episode_title: a + b, season: i % 3, episode: i, quality: b, ext: i % 2 ? 'mkv' : a });
          expectSafePath(out);
        }
      }
    }
  });
});
