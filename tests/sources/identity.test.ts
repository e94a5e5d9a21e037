import { describe, expect, it } from 'vitest';
import { createClassifier, type ClassifyInput } from '../../addon/sources/classify.js';
import { compareMovieKeys, identityKeys, keyTitle, languageKey, variantKey, workKey } from '../../addon/sources/identity.js';

const classify = createClassifier({ currentYear: 2026 });
const MOVIE = 'http://a.example/movie/u/p/1.mp4';
const SERIES = 'http://a.example/series/u/p/2.mp4';
const keyOf = (title: string, extra: Partial<ClassifyInput> = {}): string => workKey(classify({ title, url: MOVIE, ...extra }));

describe('keyTitle', () => {
  it.each([
    ['Missão: Impossível', 'missao impossivel'],
    ['O Poderoso Chefão', 'o poderoso chefao'],
    ['Minha Mãe é uma Peça 3', 'minha mae peca 3'],
    ['Velozes & Furiosos', 'velozes furiosos'],
    ['Velozes e Furiosos', 'velozes furiosos'],
    ["Grey's Anatomy", 'greys anatomy'],
    ['S.W.A.T.', 'swat'],
    ['Homem-Aranha: Sem Volta para Casa', 'homem aranha sem volta casa'],
    ['The Lord of the Rings', 'the lord rings'],
    ['A Origem [L]', 'a origem'],
    ['Coringa Dublado 1080p', 'coringa'],
    ['Rocky II', 'rocky ii'],
    ['Rocky 2', 'rocky 2'],
    ['BR: Cidade de Deus', 'cidade deus'],
    ['Coração Dual Áudio', 'coracao'],
    ['E.T.: O Extraterrestre', 'et extraterrestre'],
    ['ET: O Extraterrestre', 'et extraterrestre'],
    ['#Alive', 'alive'],
    ['PT-BR: Central do Brasil', 'central brasil'],
    ['Sr. & Sra. Smith', 'sr sra smith'],
    ['Vol. 3', 'vol 3'],
    ['Tom & Jerry', 'tom jerry'],
    ['& Outros', 'e outros'],
  ])('%s -> %s', (title, key) => {
    expect(keyTitle(title)).toBe(key);
  });
});

describe('workKey: the same work across renamed and re-tagged titles', () => {
  it.each([
    [
      'm:um sonho liberdade:1994',
      ['Um Sonho de Liberdade (1994) [L]', 'UM SONHO DE LIBERDADE (1994) Dublado', 'Um Sonho De Liberdade - 1994 4K', 'Um Sonho de Liberdade 1994 [Dual Áudio] 1080p'],
    ],
    ['m:missao impossivel:1996', ['Missão: Impossível (1996)', 'Missao Impossivel 1996', 'MISSÃO IMPOSSÍVEL (1996) [Legendado]']],
    ['m:velozes furiosos 9:2021', ['Velozes & Furiosos 9 (2021)', 'Velozes e Furiosos 9 - 2021 FHD']],
    ['m:cidade deus:2002', ['BR: Cidade de Deus (2002)', 'Cidade de Deus (2002) Nacional', '|BR| Cidade De Deus 2002']],
    ['m:ainda estou aqui:?', ['Ainda Estou Aqui', 'Ainda Estou Aqui [4K]']],
  ])('%s', (key, titles) => {
    for (const t of titles) expect(keyOf(t)).toBe(key);
  });

  it('distinguishes years, sequels and leading articles', () => {
    expect(keyOf('Duna (1984)')).toBe('m:duna:1984');
    expect(keyOf('Duna (2021)')).toBe('m:duna:2021');
    expect(keyOf('Minha Mãe é uma Peça 3 (2019)')).not.toBe(keyOf('Minha Mãe é uma Peça 2 (2016)'));
    expect(keyOf('O Poderoso Chefão (1972)')).toBe('m:o poderoso chefao:1972');
  });

  it('gives episodes s:{series}:S{season}E{episode}, novela chapters season 1', () => {
    const ep = (title: string, groupTitle: string | null = 'Séries') => workKey(classify({ title, url: SERIES, groupTitle }));
    for (const t of ['Round 6 S02E03', 'Round 6 - S2 E3 [L]', 'ROUND 6 2x03', 'Round 6 T02 E03 Dublado', 'Round 6 2ª Temporada Episódio 3']) {
      expect(ep(t)).toBe('s:round 6:S2E3');
    }
    for (const t of ['Avenida Brasil Cap 102', 'Avenida Brasil Capítulo 102', 'Avenida Brasil S1 E102', 'Avenida Brasil (2012) Cap. 102 HD']) {
      expect(ep(t, 'NOVELAS')).toBe('s:avenida brasil:S1E102');
    }
    expect(ep('Cheias de Charme (2012) S1 E87', 'NOVELAS')).toBe(ep('Cheias de Charme S01E87', 'Novelas | Globo'));
    expect(ep('The Crown S05')).toBe('s:the crown:S5');
    expect(ep('Bacurau (2019)')).toBe('s:bacurau');
    expect(ep('Dark S01E02')).not.toBe(ep('Dark S02E01'));
  });

  it('keys live channels and other entries too', () => {
    expect(workKey(classify({ title: 'GLOBO SP FHD', url: 'http://a.example/live/u/p/9.ts' }))).toBe('c:globo sp');
    expect(workKey(classify({ title: 'Podcast (2020)', url: 'http://a.example/p.mp3' }))).toBe('o:podcast:2020');
    expect(workKey({ contentType: 'other', cleanTitle: 'Podcast', year: null, season: null, episode: null })).toBe('o:podcast:?');
  });
});

describe('variantKey and languageKey', () => {
  const c = (title: string) => classify({ title, url: MOVIE });
  it('separates language variants and qualities', () => {
    const dub1080 = c('Coringa (2019) Dublado 1080p');
    const dub720 = c('Coringa (2019) [Dublado] 720p');
    const leg1080 = c('Coringa (2019) [L] 1080p');
    const none = c('Coringa (2019)');
    expect(workKey(dub1080)).toBe(workKey(leg1080));
    expect(variantKey(dub1080)).toBe('m:coringa:2019|dubbed|5');
    expect(variantKey(dub720)).toBe('m:coringa:2019|dubbed|4');
    expect(variantKey(leg1080)).toBe('m:coringa:2019|subtitled|5');
    expect(variantKey(none)).toBe('m:coringa:2019|-|0');
    expect(languageKey(dub1080)).toBe(languageKey(dub720));
    expect(languageKey(dub1080)).not.toBe(languageKey(leg1080));
    expect(identityKeys(dub720)).toEqual({ workKey: workKey(dub720), languageKey: languageKey(dub720), variantKey: variantKey(dub720) });
  });
});

describe('compareMovieKeys', () => {
  it.each([
    ['m:duna:2021', 'm:duna:2021', 'same'],
    ['m:duna:2021', 'm:duna:2022', 'probable'],
    ['m:duna:2021', 'm:duna:?', 'probable'],
    ['m:duna:2021', 'm:duna:1984', 'different'],
    ['m:duna:2021', 'm:dune:2021', 'different'],
    ['s:dark:S1E1', 'm:dark:?', 'different'],
  ] as const)('%s vs %s -> %s', (a, b, expected) => {
    expect(compareMovieKeys(a, b)).toBe(expected);
  });
});
