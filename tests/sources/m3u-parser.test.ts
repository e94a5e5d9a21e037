import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { M3uLineParser, parseM3u, parseM3uString, type M3uEntry } from '../../addon/sources/m3u-parser.js';

const one = (text: string): M3uEntry => {
  const { entries } = parseM3uString(text);
  expect(entries).toHaveLength(1);
  return entries[0]!;
};

/** Feed `bytes` in chunks of the given sizes (cycled), as Buffers. */
function* chunked(bytes: Buffer, sizes: number[]): Generator<Buffer> {
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const n = sizes[k++ % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function collect(source: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>) {
  const parse = parseM3u(source);
  const entries: M3uEntry[] = [];
  for await (const e of parse) entries.push(e);
  return { entries, summary: parse.summary, header: parse.header };
}

describe('m3u parser: header', () => {
  it('reads #EXTM3U attributes and EPG urls', () => {
    const { header, entries } = parseM3uString(
      '#EXTM3U x-tvg-url="http://epg.example/a.xml,http://epg.example/b.xml" url-tvg="http://epg.example/c.xml.gz" tvg-shift=-3\n' +
        '#EXT-X-SESSION-DATA:DATA-ID="com.xui.1_5_5r2"\n' +
        '#EXTINF:-1,Canal\nhttp://h/live/u/p/1.ts\n',
    );
    expect(header.present).toBe(true);
    expect(header.line).toBe(1);
    expect(header.attrs['tvg-shift']).toBe('-3');
    expect(header.tvgUrls).toEqual(['http://epg.example/a.xml', 'http://epg.example/b.xml', 'http://epg.example/c.xml.gz']);
    expect(entries).toHaveLength(1);
  });

  it('recovers from the unclosed quote in pvr.iptvsimple\'s own header example', () => {
    const { header, summary } = parseM3uString('#EXTM3U tvg-shift="-4.5" x-tvg-url="http://path-to-xmltv/guide.xml catchup-correction="-2.5"\n');
    expect(header.attrs).toEqual({ 'tvg-shift': '-4.5', 'x-tvg-url': 'http://path-to-xmltv/guide.xml', 'catchup-correction': '-2.5' });
    expect(summary.malformed).toBe(1);
    expect(summary.issues[0]).toMatchObject({ line: 1, kind: 'unterminated-quote' });
  });

  it('parses a list without header (and says so)', () => {
    const { header, entries } = parseM3uString('#EXTINF:-1,A\nhttp://h/a.mp4\n');
    expect(header.present).toBe(false);
    expect(entries[0]!.title).toBe('A');
  });

  it('takes user-agent / referer from the header as defaults', () => {
    const { entries } = parseM3uString(
      '#EXTM3U user-agent="ListUA/1"\n#EXTINF:-1,A\nhttp://h/a.mp4\n#EXTINF:-1,B\n#EXTVLCOPT:http-user-agent=OwnUA\nhttp://h/b.mp4\n',
    );
    expect(entries[0]!.headers).toEqual({ 'User-Agent': 'ListUA/1' });
    expect(entries[1]!.headers).toEqual({ 'User-Agent': 'OwnUA' });
  });
});

describe('m3u parser: #EXTINF', () => {
  it('reads the standard fields', () => {
    const e = one(
      '#EXTM3U\n#EXTINF:-1 tvg-id="globo.br" tvg-name="Globo SP" tvg-logo="http://img/globo.png" group-title="Canais | Abertos" tvg-chno="5",Globo SP HD\nhttp://h/live/u/p/55.ts\n',
    );
    expect(e).toMatchObject({
      title: 'Globo SP HD',
      url: 'http://h/live/u/p/55.ts',
      duration: -1,
      tvgId: 'globo.br',
      tvgName: 'Globo SP',
      tvgLogo: 'http://img/globo.png',
      groupTitle: 'Canais | Abertos',
      groups: ['Canais | Abertos'],
      line: 2,
      urlLine: 3,
      hasExtinf: true,
    });
    expect(e.attrs['tvg-chno']).toBe('5');
  });

  it('keeps commas inside quoted values and inside the title', () => {
    const e = one('#EXTINF:-1 tvg-name="Se Beber, Não Case!" group-title="Filmes, Comédia",Se Beber, Não Case! (2009)\nhttp://h/m.mp4\n');
    expect(e.tvgName).toBe('Se Beber, Não Case!');
    expect(e.groupTitle).toBe('Filmes, Comédia');
    expect(e.title).toBe('Se Beber, Não Case! (2009)');
  });

  it('keeps quotes inside values', () => {
    const e = one('#EXTINF:-1 tvg-name="O "Grande" Dia" tvg-logo="http://i/x.png",O "Grande" Dia\nhttp://h/m.mp4\n');
    expect(e.tvgName).toBe('O "Grande" Dia');
    expect(e.tvgLogo).toBe('http://i/x.png');
    expect(e.title).toBe('O "Grande" Dia');
  });

  it('reads unquoted and upper-case attributes, with spaces in unquoted values', () => {
    const e = one('#EXTINF:-1 TVG-ID=abc tvg-type=movie GROUP-TITLE=Séries Netflix tvg-logo=http://i/x.png,Round 6 S02E03\nhttp://h/s.mp4\n');
    expect(e.attrs).toEqual({ 'tvg-id': 'abc', 'tvg-type': 'movie', 'group-title': 'Séries Netflix', 'tvg-logo': 'http://i/x.png' });
    expect(e.title).toBe('Round 6 S02E03');
  });

  it('accepts single quotes and spaces around =', () => {
    const e = one("#EXTINF:-1 tvg-name='Filme X' group-title = \"Filmes\",Filme X\nhttp://h/m.mp4\n");
    expect(e.tvgName).toBe('Filme X');
    expect(e.groupTitle).toBe('Filmes');
  });

  it('reads `#EXTINF -1` without a colon and lower-case tags', () => {
    const { entries } = parseM3uString('#extm3u\n#EXTINF -1 tvg-name="A",A\nhttp://h/a.mp4\n#extinf:-1 group-title="G",B\nhttp://h/b.mp4\n');
    expect(entries.map((e) => [e.title, e.duration, e.groupTitle])).toEqual([
      ['A', -1, null],
      ['B', -1, 'G'],
    ]);
  });

  it('reads durations', () => {
    const { entries } = parseM3uString('#EXTINF:5400.5,Longo\nhttp://h/a.mp4\n#EXTINF:,Sem duração\nhttp://h/b.mp4\n#EXTINF:0,Zero\nhttp://h/c.mp4\n');
    expect(entries.map((e) => e.duration)).toEqual([5400.5, -1, 0]);
  });

  it('takes the title from tvg-name when there is no comma, else from the URL', () => {
    const { entries } = parseM3uString(
      '#EXTINF:-1 tvg-id="x" tvg-name="Ainda Estou Aqui (2024)" group-title="Filmes"\nhttp://h/movie/u/p/1.mp4\n' +
        '#EXTINF:-1 group-title="Filmes"\nhttp://h/vod/Tropa%20de%20Elite%20(2007).mkv?token=abc\n' +
        '#EXTINF:-1 tvg-name="Vazio",\nhttp://h/3.mp4\n',
    );
    expect(entries.map((e) => e.title)).toEqual(['Ainda Estou Aqui (2024)', 'Tropa de Elite (2007)', 'Vazio']);
    expect(entries[0]!.groupTitle).toBe('Filmes');
  });

  it('treats bare words after the attributes as the title when there is no comma', () => {
    const e = one('#EXTINF:-1 tvg-logo="http://i/x.png" Filme Sem Vírgula\nhttp://h/m.mp4\n');
    expect(e.title).toBe('Filme Sem Vírgula');
    expect(e.tvgLogo).toBe('http://i/x.png');
  });

  it('lets the first occurrence of an attribute win and ignores __proto__', () => {
    const e = one('#EXTINF:-1 tvg-id="first" tvg-id="second" __proto__="x" constructor="y",T\nhttp://h/m.mp4\n');
    expect(e.attrs['tvg-id']).toBe('first');
    expect(e.attrs['constructor']).toBe('y');
    expect(Object.getPrototypeOf(e.attrs)).toBe(Object.prototype);
  });

  it('reports an unterminated quote and still reads the title', () => {
    const { entries, summary } = parseM3uString('#EXTINF:-1 tvg-name="Quebrado,Título Bom\nhttp://h/m.mp4\n');
    expect(entries[0]!.tvgName).toBe('Quebrado');
    expect(entries[0]!.title).toBe('Título Bom');
    expect(summary.issues).toEqual([{ line: 1, kind: 'unterminated-quote', text: '#EXTINF:-1 tvg-name="Quebrado,Título Bom' }]);
  });
});

describe('m3u parser: options and headers', () => {
  it('carries #EXTVLCOPT user agent and referrer as headers', () => {
    const e = one(
      '#EXTINF:-1,A\n#EXTVLCOPT:http-user-agent=Mozilla/5.0 (X11)\n#EXTVLCOPT:http-referrer=http://site/\n#EXTVLCOPT:network-caching=1000\nhttp://h/a.m3u8\n',
    );
    expect(e.headers).toEqual({ 'User-Agent': 'Mozilla/5.0 (X11)', Referer: 'http://site/' });
    expect(e.vlcOpts).toEqual({ 'http-user-agent': 'Mozilla/5.0 (X11)', 'http-referrer': 'http://site/', 'network-caching': '1000' });
  });

  it('keeps #KODIPROP lines and turns stream_headers into headers', () => {
    const e = one(
      '#EXTINF:-1,A\n#KODIPROP:inputstream=inputstream.adaptive\n#KODIPROP:inputstream.adaptive.stream_headers=User-Agent=Kodi%2F21&Referer=http%3A%2F%2Fsite%2F\nhttp://h/a.mpd\n',
    );
    expect(e.kodiProps).toEqual({
      inputstream: 'inputstream.adaptive',
      'inputstream.adaptive.stream_headers': 'User-Agent=Kodi%2F21&Referer=http%3A%2F%2Fsite%2F',
    });
    expect(e.headers).toEqual({ 'User-Agent': 'Kodi/21', Referer: 'http://site/' });
  });

  it('strips `|headers` from the URL and decodes them; the pipe wins over #EXTVLCOPT', () => {
    const e = one('#EXTINF:-1,A\n#EXTVLCOPT:http-user-agent=VlcUA\nhttp://h/a.mp4|User-Agent=Pipe%20UA&referer=http://r/&!X-Custom=1\n');
    expect(e.url).toBe('http://h/a.mp4');
    expect(e.headers).toEqual({ 'User-Agent': 'Pipe UA', Referer: 'http://r/', 'X-Custom': '1' });
  });

  it('does not leak options to the next entry', () => {
    const { entries } = parseM3uString('#EXTINF:-1,A\n#EXTVLCOPT:http-user-agent=UA\n#KODIPROP:k=v\nhttp://h/a.mp4\n#EXTINF:-1,B\nhttp://h/b.mp4\n');
    expect(entries[1]!.headers).toEqual({});
    expect(entries[1]!.kodiProps).toEqual({});
    expect(entries[1]!.vlcOpts).toEqual({});
  });

  it('accepts options placed before #EXTINF', () => {
    const e = one('#EXTVLCOPT:http-referrer=http://r/\n#EXTINF:-1,A\nhttp://h/a.mp4\n');
    expect(e.headers).toEqual({ Referer: 'http://r/' });
  });
});

describe('m3u parser: groups', () => {
  it('splits group-title on ";"', () => {
    expect(one('#EXTINF:-1 group-title="Filmes;Lançamentos; 4K ",A\nhttp://h/a.mp4\n').groups).toEqual(['Filmes', 'Lançamentos', '4K']);
  });

  it('keeps #EXTGRP in force for following entries until changed or cleared; group-title wins', () => {
    const { entries } = parseM3uString(
      [
        '#EXTM3U',
        '#EXTGRP:Filmes',
        '#EXTINF:-1,A',
        'http://h/a.mp4',
        '#EXTINF:-1,B',
        'http://h/b.mp4',
        '#EXTINF:-1 group-title="Séries",C',
        'http://h/c.mp4',
        '#EXTINF:-1,D',
        '#EXTGRP:Novelas;Globo',
        'http://h/d.mp4',
        '#EXTINF:-1,E',
        'http://h/e.mp4',
        '#EXTGRP:',
        '#EXTINF:-1,F',
        'http://h/f.mp4',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.title, e.groups, e.groupTitle])).toEqual([
      ['A', ['Filmes'], null],
      ['B', ['Filmes'], null],
      ['C', ['Séries'], 'Séries'],
      ['D', ['Novelas', 'Globo'], null],
      ['E', ['Novelas', 'Globo'], null],
      ['F', [], null],
    ]);
  });
});

describe('m3u parser: layout quirks', () => {
  const lines = [
    '#EXTM3U',
    '',
    '# a comment',
    '#EXTINF:-1 tvg-name="Ação",Ação (2020)',
    '',
    'http://h/movie/u/p/1.mp4',
    '#PLAYLIST:Minha lista',
    '#EXTINF:-1,Dois',
    '   http://h/movie/u/p/2.mp4   ',
  ];

  it('handles BOM + CRLF, blank lines, comments and unknown directives', () => {
    const text = '\uFEFF' + lines.join('\r\n') + '\r\n';
    const { header, entries, summary } = parseM3uString(text);
    expect(header.present).toBe(true);
    expect(entries.map((e) => [e.title, e.url, e.line, e.urlLine])).toEqual([
      ['Ação (2020)', 'http://h/movie/u/p/1.mp4', 4, 6],
      ['Dois', 'http://h/movie/u/p/2.mp4', 8, 9],
    ]);
    expect(summary).toMatchObject({ entries: 2, lines: 9, malformed: 0, issues: [] });
  });

  it('handles lone CR line endings and a missing final newline', () => {
    const { entries } = parseM3uString(lines.join('\r'));
    expect(entries.map((e) => e.title)).toEqual(['Ação (2020)', 'Dois']);
  });

  it('yields URL lines without #EXTINF as entries', () => {
    const { entries, summary } = parseM3uString('#EXTM3U\nhttp://h/vod/Filme.Solto.2019.mp4\n#EXTINF:-1,Depois\nhttp://h/b.mp4\n');
    expect(entries[0]).toMatchObject({ title: 'Filme.Solto.2019', hasExtinf: false, line: 2, attrs: {}, duration: -1 });
    expect(entries[1]).toMatchObject({ title: 'Depois', hasExtinf: true });
    expect(summary.malformed).toBe(0);
  });

  it('accepts URLs without extension, token URLs and relative paths', () => {
    const { entries } = parseM3uString('#EXTINF:-1,A\nhttp://h/s/7002\n#EXTINF:-1,B\nhttp://h/play/AbC123#.mp4\n#EXTINF:-1,C\nvod/filme.mkv\n');
    expect(entries.map((e) => e.url)).toEqual(['http://h/s/7002', 'http://h/play/AbC123#.mp4', 'vod/filme.mkv']);
  });
});

describe('m3u parser: malformed lines', () => {
  it('counts and reports them with line numbers, never throwing', () => {
    const text = [
      '#EXTM3U', // 1
      '#EXTINF:-1,Sem URL', // 2 (followed by another EXTINF)
      '#EXTINF:-1,Bom', // 3
      'isto não é uma url', // 4 (pending EXTINF keeps waiting)
      'http://h/bom.mp4', // 5
      '#EXTVLCOPT:sem-igual', // 6
      '#EXTINF:-1,Último sem URL', // 7 (end of file)
    ].join('\n');
    const { entries, summary } = parseM3uString(text);
    expect(entries.map((e) => [e.title, e.line])).toEqual([['Bom', 3]]);
    expect(summary.malformed).toBe(4);
    expect(summary.issues.map((i) => [i.line, i.kind])).toEqual([
      [2, 'extinf-without-url'],
      [4, 'not-a-url'],
      [6, 'bad-option'],
      [7, 'extinf-without-url'],
    ]);
    expect(summary.issuesTruncated).toBe(false);
  });

  it('caps the issue list but counts everything', () => {
    const text = Array.from({ length: 50 }, (_, i) => `lixo ${i}`).join('\n');
    const { summary } = parseM3uString(text, { maxIssues: 5 });
    expect(summary.malformed).toBe(50);
    expect(summary.issues).toHaveLength(5);
    expect(summary.issues[4]!.line).toBe(5);
    expect(summary.issuesTruncated).toBe(true);
  });

  it('skips over-long lines, within one chunk and across chunks', async () => {
    const long = 'x'.repeat(5000);
    const text = `#EXTINF:-1,A\nhttp://h/${long}\n#EXTINF:-1,B\nhttp://h/b.mp4\n`;
    const whole = parseM3uString(text, { maxLineLength: 1000 });
    const parse = parseM3u(chunked(Buffer.from(text), [300]), { maxLineLength: 1000 });
    const streamed: M3uEntry[] = [];
    for await (const e of parse) streamed.push(e);
    for (const r of [{ entries: whole.entries, summary: whole.summary }, { entries: streamed, summary: parse.summary }]) {
      expect(r.entries.map((e) => [e.title, e.urlLine])).toEqual([['B', 4]]);
      // In the order they were detected: the EXTINF is known to lack a URL only at the next EXTINF.
      expect(r.summary.issues.map((i) => [i.line, i.kind])).toEqual([
        [2, 'line-too-long'],
        [1, 'extinf-without-url'],
      ]);
      expect(r.summary.lines).toBe(4);
    }
  });
});

describe('m3u parser: streaming', () => {
  const text =
    '\uFEFF#EXTM3U x-tvg-url="http://epg/x.xml"\r\n' +
    '#EXTINF:-1 tvg-name="Ação e Reação" group-title="Filmes | Ação",Ação e Reação (2021) [Dublado]\r\n' +
    '#EXTVLCOPT:http-user-agent=Agente/1.0\r\n' +
    'http://h/movie/u/p/10.mp4\r\n' +
    '#EXTGRP:Novelas\r\n' +
    '#EXTINF:-1,Avenida Brasil Cap 102\r\n' +
    'http://h/series/u/p/11.mp4|Referer=http://r/\r\n' +
    'lixo\r\n' +
    '#EXTINF:-1 tvg-name="Coração 💔",Coração 💔 S01E01\r\n' +
    'http://h/series/u/p/12.mp4\r\n';

  it('gives the same result for any chunking, including splits inside UTF-8 sequences and CRLF', async () => {
    const expected = parseM3uString(text.slice(1)); // the string parser strips the BOM itself too
    const bytes = Buffer.from(text, 'utf8');
    for (const sizes of [[1], [2], [3, 5, 7], [13], [64], [bytes.length]]) {
      const got = await collect(chunked(bytes, sizes));
      expect(got.entries).toEqual(expected.entries);
      expect(got.summary).toEqual(expected.summary);
    }
    expect(expected.entries).toHaveLength(3);
    expect(expected.summary.malformed).toBe(1);
  });

  it('reads a Node Readable and string chunks', async () => {
    const fromReadable = await collect(Readable.from([Buffer.from(text)]));
    const fromStrings = await collect(Readable.from(text.match(/[\s\S]{1,17}/g)!, { objectMode: true }));
    expect(fromReadable.entries.map((e) => e.title)).toEqual(['Ação e Reação (2021) [Dublado]', 'Avenida Brasil Cap 102', 'Coração 💔 S01E01']);
    expect(fromStrings.entries).toEqual(fromReadable.entries);
    expect(fromReadable.header.tvgUrls).toEqual(['http://epg/x.xml']);
  });

  it('yields batches', async () => {
    const parse = parseM3u([text]);
    const batches: M3uEntry[][] = [];
    for await (const b of parse.batches()) batches.push(b);
    expect(batches.flat()).toHaveLength(3);
  });

  it('parses a big chunk a slice at a time (a file read 1 MB at once is not one long stall)', async () => {
    const lines = ['#EXTM3U'];
    for (let i = 0; i < 5000; i++) lines.push(`#EXTINF:-1 group-title="Filmes | Ação",Ação ${i} (2020)`, `http://p.example/movie/${i}.mp4`);
    const big = Buffer.from(`${lines.join('\n')}\n`);
    const batches: M3uEntry[][] = [];
    for await (const b of parseM3u([big]).batches()) batches.push(b);
    const whole = await collect(Readable.from(big.toString('utf8').match(/[\s\S]{1,4096}/g)!, { objectMode: true }));
    expect(batches.flat()).toEqual(whole.entries);
    expect(batches.flat()).toHaveLength(5000);
    expect(batches.length).toBeGreaterThan(10);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThan(500);
  });

  it('can be iterated only once', async () => {
    const parse = parseM3u([text]);
    for await (const _ of parse) {
      // drain
    }
    await expect(async () => {
      for await (const _ of parse) {
        // again
      }
    }).rejects.toThrow(/only once/);
  });

  it('stops reading (and destroys the source) when the consumer breaks early', async () => {
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 100_000; i++) yield `#EXTINF:-1,T${i}\nhttp://h/${i}.mp4\n`;
      })(),
    );
    let n = 0;
    for await (const _ of parseM3u(big)) {
      if (++n === 10) break;
    }
    expect(n).toBe(10);
    expect(big.destroyed).toBe(true);
  });

  it('reads a line that is not valid UTF-8 as Latin-1 (old Windows lists), others as UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('#EXTM3U\n#EXTINF:-1 group-title="S', 'utf8'),
      Buffer.from('é', 'latin1'),
      Buffer.from('ries",A\nhttp://h/a.mp4\n#EXTINF:-1,Ação\nhttp://h/b.mp4\n', 'utf8'),
    ]);
    const { entries, summary } = await collect([bytes]);
    expect(entries.map((e) => [e.groupTitle, e.title])).toEqual([
      ['Séries', 'A'],
      [null, 'Ação'],
    ]);
    expect(summary.malformed).toBe(0);
  });

  it('M3uLineParser.pushLine works line by line', () => {
    const p = new M3uLineParser();
    expect(p.pushLine('#EXTM3U')).toBeNull();
    expect(p.pushLine('#EXTINF:-1,X')).toBeNull();
    expect(p.pushLine('http://h/x.mp4')).toMatchObject({ title: 'X', line: 2, urlLine: 3 });
  });
});
