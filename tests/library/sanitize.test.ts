import { describe, expect, it } from 'vitest';
import {
  cleanText,
  MAX_UNIQUE_ATTEMPTS,
  safeRelativePath,
  sanitizeExtension,
  sanitizeFileName,
  titleFromUrl,
  truncateBytes,
  uniqueName,
  utf8Bytes,
  withExtension,
} from '../../addon/library/sanitize.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Properties every sanitised component has, whatever the input. */
function expectSafeComponent(name: string, maxBytes = 255): void {
  expect(name.length).toBeGreaterThan(0);
  expect(bytes(name)).toBeLessThanOrEqual(maxBytes);
  expect(name).not.toMatch(/[<>:"/\\|?*\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
  expect(name).not.toMatch(/^[.\s-]/);
  expect(name).not.toMatch(/[.\s]$/);
  expect(name).not.toMatch(/^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\s*\.|$)/i);
  expect(name).toBe(name.normalize('NFC'));
  expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // well-formed UTF-16
}

describe('sanitizeFileName', () => {
  it.each([
    // plain and accented titles pass through
    ['plain title', 'The Matrix', 'The Matrix'],
    ['Portuguese accents', 'Ainda Estou Aqui', 'Ainda Estou Aqui'],
    ['colon followed by space', 'Missão: Impossível', 'Missão - Impossível'],
    ['colon with spaces around', 'Star Wars : Episode IV', 'Star Wars - Episode IV'],
    ['colon without space', '10:30 News', '10-30 News'],
    ['NFD is composed to NFC', 'Misse\u0301rables', 'Missérables'],
    ['NFD ã', 'Missa\u0303o', 'Missão'],
    // Windows/SMB-illegal characters
    ['slash', 'AC/DC', 'AC-DC'],
    ['backslash', 'Back\\slash', 'Back-slash'],
    ['pipe', 'Live | 1991', 'Live - 1991'],
    ['question mark dropped then trailing dots', 'What If...?', 'What If'],
    ['double quotes to single', 'The "Best" Film', "The 'Best' Film"],
    ['angle brackets dropped', '<b>Bold</b>', 'bBold-b'],
    ['asterisks dropped', 'M*A*S*H', 'MASH'],
    ['all illegal at once', 'a<b>c:d"e/f\\g|h?i*j', 'abc-d\'e-f-g-hij'],
    // control, bidi, invisible
    ['C0 controls removed', 'Ti\u0000t\u0007le', 'Title'],
    ['newlines and tabs become spaces', 'Line one\r\n\tLine two', 'Line one Line two'],
    ['DEL and C1 removed', 'A\u007FB\u0085C\u009FD', 'AB CD'],
    ['bidi override (RLO) removed', 'invoice\u202Egpj.exe', 'invoicegpj.exe'],
    ['bidi isolates and marks removed', '\u2066a\u2069\u200Eb\u200Fc\u061C', 'abc'],
    ['zero-width space and BOM removed', '\uFEFFze\u200Bro', 'zero'],
    ['unpaired surrogate removed', 'bad\uD800pair', 'badpair'],
    ['ZWJ emoji sequence kept', 'Family 👨‍👩‍👧', 'Family 👨‍👩‍👧'],
    ['emoji kept', '🎬 Filme', '🎬 Filme'],
    ['CJK kept', '千と千尋の神隠し', '千と千尋の神隠し'],
    // whitespace
    ['whitespace collapsed', '  lots   of \u00A0 space  ', 'lots of space'],
    ['ideographic space', 'a\u3000b', 'a b'],
    // leading and trailing dots/spaces/hyphens
    ['leading dot (hidden file)', '.hidden', 'hidden'],
    ['leading dots and spaces', ' . .bashrc', 'bashrc'],
    ['trailing dots', 'Title...', 'Title'],
    ['trailing dots and spaces', 'Title . . ', 'Title'],
    ['leading hyphen (option injection)', '-rf --delete', 'rf --delete'],
    ['inner dots kept', 'Mr. Robot v1.0', 'Mr. Robot v1.0'],
    // traversal
    ['dot', '.', 'download'],
    ['dotdot', '..', 'download'],
    ['traversal', '../../etc/passwd', 'etc-passwd'],
    ['windows traversal', '..\\..\\Windows\\win.ini', 'Windows-win.ini'],
    ['absolute path', '/etc/shadow', 'etc-shadow'],
    ['drive letter', 'C:\\Users', 'C--Users'],
    // reserved device names
    ['CON', 'CON', 'CON_'],
    ['lower-case nul with extension', 'nul.mp4', 'nul_.mp4'],
    ['COM1 with double extension', 'com1.tar.gz', 'com1_.tar.gz'],
    ['LPT9', 'LPT9', 'LPT9_'],
    ['COM superscript', 'COM¹', 'COM¹_'],
    ['AUX with trailing space before extension', 'AUX .txt', 'AUX_ .txt'],
    ['PRN after trimming dots', 'PRN...', 'PRN_'],
    ['CONOUT$', 'CONOUT$', 'CONOUT$_'],
    ['reserved word inside a longer name is fine', 'Console', 'Console'],
    ['reserved word as prefix before a space is fine', 'CON AIR', 'CON AIR'],
    ['COM10 is not reserved', 'COM10', 'COM10'],
    // empty
    ['empty', '', 'download'],
    ['only spaces', '   ', 'download'],
    ['only illegal characters', '???***', 'download'],
    ['only controls', '\u0000\u0001\u202E', 'download'],
  ])('%s', (_label, input, expected) => {
    const out = sanitizeFileName(input);
    expect(out).toBe(expected);
    expectSafeComponent(out);
  });

  it.each([
    ['custom fallback', '', 'Untitled', 'Untitled'],
    ['fallback is sanitised too', '..', 'a/b', 'a-b'],
    ['reserved fallback', '', 'nul', 'nul_'],
    ['empty fallback gives underscore', '', '', '_'],
  ])('%s', (_label, input, fallback, expected) => {
    expect(sanitizeFileName(input, fallback)).toBe(expected);
  });

  describe('byte limit', () => {
    it.each([
      ['ASCII at 300 chars', 'a'.repeat(300), 255, 'a'.repeat(255)],
      ['exactly 255 bytes untouched', 'b'.repeat(255), 255, 'b'.repeat(255)],
      ['2-byte chars: 200 é = 400 bytes', 'é'.repeat(200), 255, 'é'.repeat(127)],
      ['3-byte chars: CJK', '語'.repeat(100), 255, '語'.repeat(85)],
      ['4-byte emoji', '😀'.repeat(100), 255, '😀'.repeat(63)],
      ['ZWJ family never split', '👨‍👩‍👧'.repeat(20), 255, '👨‍👩‍👧'.repeat(14)],
      ['a + emoji crossing the boundary', 'a' + '😀'.repeat(64), 255, 'a' + '😀'.repeat(63)],
      ['extension survives truncation', 'x'.repeat(300) + '.mp4', 255, 'x'.repeat(251) + '.mp4'],
      ['trailing space after cut is trimmed', 'a'.repeat(9) + ' ' + 'b'.repeat(20), 10, 'a'.repeat(9)],
      ['trailing dot after cut is trimmed', 'abc.def', 4, 'abc'],
      ['maxBytes option leaves room', 'Título longo', 8, 'Título'],
      ['combining mark not separated', 'e\u0301\u0302'.repeat(10), 5, 'e\u0301\u0302'.normalize('NFC')],
    ])('%s', (_label, input, maxBytes, expected) => {
      const out = sanitizeFileName(input, 'download', { maxBytes });
      expect(out).toBe(expected);
      expect(bytes(out)).toBeLessThanOrEqual(maxBytes);
    });

    it('rejects a non-positive maxBytes', () => {
      expect(() => sanitizeFileName('x', 'download', { maxBytes: 0 })).toThrow(RangeError);
    });

    it('never exceeds the limit for random nasty input', () => {
      const alphabet = ['a', 'é', '語', '😀', '👨‍👩‍👧', ':', '/', '.', ' ', '\u202E', '\u0000', 'e\u0301', '?', 'CON'];
      let seed = 42;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      for (let i = 0; i < 300; i++) {
        let s = '';
        const len = rand(400);
        for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
        const maxBytes = 5 + rand(251);
        expectSafeComponent(sanitizeFileName(s, 'download', { maxBytes }), maxBytes);
      }
    });
  });
});

describe('cleanText', () => {
  it.each([
    ['keeps illegal-on-Windows characters', ' Missão:  Impossível? ', 'Missão: Impossível?'],
    ['drops bidi and controls', 'a\u202Eb\u0000c\nd', 'abc d'],
    ['NFC', 'Sa\u0303o Paulo', 'São Paulo'],
  ])('%s', (_label, input, expected) => {
    expect(cleanText(input)).toBe(expected);
  });
});

describe('truncateBytes / utf8Bytes', () => {
  it.each([
    ['', 10, ''],
    ['abc', 2, 'ab'],
    ['é', 1, ''],
    ['😀x', 3, ''],
    ['😀x', 5, '😀x'],
  ])('truncateBytes(%j, %i)', (input, max, expected) => {
    expect(truncateBytes(input, max)).toBe(expected);
  });

  it('counts UTF-8 bytes', () => {
    expect(utf8Bytes('aé語😀')).toBe(1 + 2 + 3 + 4);
  });
});

describe('sanitizeExtension', () => {
  it.each([
    ['mp4', 'mp4'],
    ['.mkv', 'mkv'],
    ['..tar.gz', 'tar.gz'],
    [' m p 4 ', 'mp4'],
    ['mp4/../../x', 'mp4.x'],
    ['', ''],
    ['...', ''],
    ['x'.repeat(40), ''],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeExtension(input)).toBe(expected);
  });
});

describe('withExtension', () => {
  it.each([
    ['simple', 'Title', 'mp4', 255, 'Title.mp4'],
    ['dot in ext is fine', 'Title', '.mkv', 255, 'Title.mkv'],
    ['colon in base', 'Missão: Impossível', 'mp4', 255, 'Missão - Impossível.mp4'],
    ['trailing dots of base removed', 'Title...', 'mp4', 255, 'Title.mp4'],
    ['same extension not doubled', 'clip.mp4', 'mp4', 255, 'clip.mp4'],
    ['same extension, other case', 'clip.MP4', 'mp4', 255, 'clip.mp4'],
    ['different extension appended', 'clip.ts', 'mp4', 255, 'clip.ts.mp4'],
    ['reserved base', 'CON', 'mp4', 255, 'CON_.mp4'],
    ['empty base', '', 'mp4', 255, 'download.mp4'],
    ['traversal base', '../..', 'mp4', 255, 'download.mp4'],
    ['no extension', 'Title', '', 255, 'Title'],
    ['unusable extension', 'Title', '???', 255, 'Title'],
    ['long base is cut, extension kept', 'a'.repeat(300), 'mkv', 255, 'a'.repeat(251) + '.mkv'],
    ['room for .part', 'a'.repeat(300), 'mkv', 250, 'a'.repeat(246) + '.mkv'],
    ['emoji base at the limit', '😀'.repeat(100), 'mp4', 255, '😀'.repeat(62) + '.mp4'],
  ])('%s', (_label, base, ext, maxBytes, expected) => {
    const out = withExtension(base, ext, maxBytes);
    expect(out).toBe(expected);
    expect(bytes(out)).toBeLessThanOrEqual(maxBytes);
  });

  it('throws when the extension leaves no room', () => {
    expect(() => withExtension('a', 'mp4', 4)).toThrow(RangeError);
  });
});

describe('uniqueName', () => {
  const taken =
    (...names: string[]) =>
    (name: string): boolean =>
      names.includes(name);

  it.each([
    ['free', 'Title', 'mp4', [], 'Title.mp4'],
    ['first taken', 'Title', 'mp4', ['Title.mp4'], 'Title (2).mp4'],
    ['two taken', 'Title', 'mp4', ['Title.mp4', 'Title (2).mp4'], 'Title (3).mp4'],
    ['gap is reused', 'Title', 'mp4', ['Title.mp4', 'Title (3).mp4'], 'Title (2).mp4'],
    ['no extension', 'Title', '', ['Title'], 'Title (2)'],
    ['sanitised base', 'A/B: C', 'mkv', ['A-B - C.mkv'], 'A-B - C (2).mkv'],
    ['base with the extension already', 'clip.mp4', 'mp4', ['clip.mp4'], 'clip (2).mp4'],
  ])('%s', (_label, base, ext, names, expected) => {
    expect(uniqueName(base, ext, taken(...names))).toBe(expected);
  });

  it('keeps the counter and extension within 255 bytes', () => {
    const base = '語'.repeat(100);
    const first = uniqueName(base, 'mp4', () => false);
    const second = uniqueName(base, 'mp4', (n) => n === first);
    expect(bytes(first)).toBeLessThanOrEqual(255);
    expect(second.endsWith(' (2).mp4')).toBe(true);
    expect(bytes(second)).toBeLessThanOrEqual(255);
  });

  it('counts up to two digits and beyond', () => {
    const existing = new Set(['T.mp4', ...Array.from({ length: 11 }, (_, i) => `T (${i + 2}).mp4`)]);
    expect(uniqueName('T', 'mp4', (n) => existing.has(n))).toBe('T (13).mp4');
  });

  it('gives up after MAX_UNIQUE_ATTEMPTS', () => {
    expect(MAX_UNIQUE_ATTEMPTS).toBeGreaterThan(100);
    expect(() => uniqueName('T', 'mp4', () => true)).toThrow(/no free name/);
  });
});

describe('safeRelativePath', () => {
  it.each([
    ['plain', ['Movies', 'Title (2024)', 'Title (2024).mp4'], 'Movies/Title (2024)/Title (2024).mp4'],
    ['dotdot components dropped', ['..', 'Movies', '..', 'x.mp4'], 'Movies/x.mp4'],
    ['slash inside a component', ['Movies', 'AC/DC', '../../etc/passwd'], 'Movies/AC-DC/etc-passwd'],
    ['absolute first component', ['/etc', 'passwd'], 'etc/passwd'],
    ['empty components dropped', ['', 'a', '   ', 'b'], 'a/b'],
    ['illegal-only component dropped', ['Series', '???', 'ep.mkv'], 'Series/ep.mkv'],
    ['reserved component', ['aux', 'con.mkv'], 'aux_/con_.mkv'],
    ['nothing left', ['', '..', '.'], 'download'],
    ['no components', [], 'download'],
    ['windows drive', ['C:', 'Windows'], 'C-/Windows'],
  ])('%s', (_label, components, expected) => {
    const out = safeRelativePath(components);
    expect(out).toBe(expected);
    expect(out.startsWith('/')).toBe(false);
    for (const part of out.split('/')) {
      expect(part).not.toBe('');
      expect(part).not.toBe('..');
      expect(bytes(part)).toBeLessThanOrEqual(255);
    }
  });
});

describe('titleFromUrl', () => {
  it.each([
    ['file name with extension', 'https://x.example/movies/Ainda%20Estou%20Aqui.mp4', 'Ainda Estou Aqui'],
    ['dashes to spaces', 'https://x.example/v/my-holiday-video.mp4', 'my holiday video'],
    ['dots and underscores', 'https://x.example/Mr.Robot.S01E01.720p.mkv', 'Mr Robot S01E01 720p'],
    ['accented, encoded', 'https://x.example/Miss%C3%A3o_Imposs%C3%ADvel.mkv', 'Missão Impossível'],
    ['master.m3u8 -> parent', 'https://cdn.example/hls/Big_Buck_Bunny/master.m3u8', 'Big Buck Bunny'],
    ['index + quality -> grandparent', 'https://cdn.example/hls/Some_Show_S01E01/1080p/index.m3u8', 'Some Show S01E01'],
    ['playlist.m3u8', 'https://cdn.example/live/Canal-Rural/playlist.m3u8', 'Canal Rural'],
    ['wowza chunklist', 'https://cdn.example/vod/Sintel/chunklist_w123456_b800000.m3u8', 'Sintel'],
    ['akamai-style index-v1-a1', 'https://cdn.example/i/Tears-of-Steel/index-v1-a1.m3u8', 'Tears of Steel'],
    ['query string ignored', 'https://x.example/show/episode-3.m3u8?token=abc&exp=1', 'episode 3'],
    ['fragment ignored', 'https://x.example/clip.mp4#t=10', 'clip'],
    ['numeric id and hash skipped', 'https://x.example/Trailer/123456/abcdef0123456789abcd/master.m3u8', 'Trailer'],
    ['uuid skipped', 'https://x.example/Concert/3f2504e0-4f89-11d3-9a0c-0305e82c3301/index.m3u8', 'Concert'],
    ['plus as space', 'https://x.example/My+Clip.mp4', 'My Clip'],
    ['encoded plus kept', 'https://x.example/C%2B%2B%20Talk.mp4', 'C++ Talk'],
    ['unknown extension kept as words', 'https://x.example/Report.final', 'Report final'],
    ['malformed escape kept raw', 'https://x.example/100%25_real%ZZ.mp4', '100% real%ZZ'],
    ['bidi stripped', 'https://x.example/evil%E2%80%AEgpj.mp4', 'evilgpj'],
    ['query filename param', 'https://x.example/download.php?file=My%20Movie.mp4', 'My Movie'],
    ['query title param', 'https://x.example/get?title=Nice+Title', 'Nice Title'],
    [
      'S3 content disposition',
      'https://b.s3.example/abcdef0123456789abcdef?response-content-disposition=attachment%3B%20filename%3D%22Nice%20Clip.mp4%22',
      'Nice Clip',
    ],
    ['only noise -> host', 'https://www.example.com/videos/12345/master.m3u8', 'example.com'],
    ['bare host', 'https://example.com/', 'example.com'],
    ['not a URL: path-ish text', 'folder/Some.Movie.2020.mkv', 'Some Movie 2020'],
    ['data URL', 'data:video/mp4;base64,AAAA', 'download'],
    ['empty', '', 'download'],
  ])('%s', (_label, url, expected) => {
    expect(titleFromUrl(url)).toBe(expected);
  });
});
