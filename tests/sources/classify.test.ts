import { describe, expect, it } from 'vitest';
import {
  classifyEntry,
  createClassifier,
  groupSignals,
  urlSignals,
  type ClassifyInput,
  type Language,
} from '../../addon/sources/classify.js';
import type { EntryType as ContentType } from '../../addon/domain/content.js';
import type { Quality } from '../../addon/sources/quality.js';

const YEAR = 2026;
const MOVIE_URL = 'http://cdn.example:8080/movie/u/p/1001.mp4';
const SERIES_URL = 'http://cdn.example:8080/series/u/p/2002.mkv';
const LIVE_URL = 'http://cdn.example:8080/live/u/p/3003.ts';
const PLAIN_MP4 = 'http://cdn.example/vod/file.mp4';

interface Expected {
  type: ContentType;
  title: string;
  year?: number | null;
  season?: number | null;
  episode?: number | null;
  quality?: Quality | null;
  language?: Language | null;
}

/** [group-title | null, title, url, expected, extra input] */
type Row = [string | null, string, string, Expected, Partial<ClassifyInput>?];

const m = (title: string, year: number | null, more: Partial<Expected> = {}): Expected => ({ type: 'movie', title, year, ...more });
const ep = (type: 'series' | 'novela', title: string, season: number | null, episode: number | null, more: Partial<Expected> = {}): Expected => ({
  type,
  title,
  season,
  episode,
  ...more,
});
const live = (title: string, more: Partial<Expected> = {}): Expected => ({ type: 'live', title, ...more });

const rows: Row[] = [
  // --- The examples of shared/notes/iptv.md -------------------------------------------------
  ['Filmes | Legendados', 'Um Sonho de Liberdade (1994) [L]', MOVIE_URL, m('Um Sonho de Liberdade', 1994, { language: 'subtitled' })],
  ['Filmes | Acao', 'Missão: Impossível (1996)', MOVIE_URL, m('Missão: Impossível', 1996)],
  ['Filmes | Comedia', 'Minha Mãe é uma Peça 3 - 2019', MOVIE_URL, m('Minha Mãe é uma Peça 3', 2019)],
  ['Filmes | Lancamentos 2026', 'Ainda Estou Aqui (2024)', MOVIE_URL, m('Ainda Estou Aqui', 2024)],
  ['4K', 'Duna: Parte Dois (2024) [4K]', MOVIE_URL, m('Duna: Parte Dois', 2024, { quality: '2160p' })],
  ['Séries | Netflix', 'Round 6 S02E03', SERIES_URL, ep('series', 'Round 6', 2, 3)],
  ['Series | Amazon Prime Video', 'The Boys S04 E08', SERIES_URL, ep('series', 'The Boys', 4, 8)],
  ['NOVELAS', 'Avenida Brasil Cap 102', SERIES_URL, ep('novela', 'Avenida Brasil', null, 102)],
  ['NOVELAS', 'Cheias de Charme (2012) S1 E87', SERIES_URL, ep('novela', 'Cheias de Charme', 1, 87, { year: 2012 })],
  ['ANIME', 'One Piece (1999) S21 E1000', SERIES_URL, ep('series', 'One Piece', 21, 1000, { year: 1999 })],
  ['CINE SERIES HD 24HRS', 'Friends 24H', 'http://cdn.example:8080/u/p/4004', live('Friends 24H', { quality: '720p' })],
  ['CINE SERIES HD 24HRS', 'The Office S01E01', PLAIN_MP4, live('The Office S01E01', { quality: '720p' })],
  ['SPORTV', 'SPORTV 2 FHD', LIVE_URL, live('SPORTV 2', { quality: '1080p' })],

  // --- Episode forms, no group: the title decides --------------------------------------------
  [null, 'Breaking Bad S01E02', SERIES_URL, ep('series', 'Breaking Bad', 1, 2)],
  [null, 'The Office S01 E02', PLAIN_MP4, ep('series', 'The Office', 1, 2)],
  [null, 'Chaves S1 E249', PLAIN_MP4, ep('series', 'Chaves', 1, 249)],
  [null, 'Lost 1x02', PLAIN_MP4, ep('series', 'Lost', 1, 2)],
  [null, 'La Casa de Papel T02 E05', PLAIN_MP4, ep('series', 'La Casa de Papel', 2, 5)],
  [null, 'Sintonia 1ª Temporada Episódio 3', PLAIN_MP4, ep('series', 'Sintonia', 1, 3)],
  [null, 'Irmandade Temporada 1 Episódio 2', PLAIN_MP4, ep('series', 'Irmandade', 1, 2)],
  [null, 'Cidade Invisível - 2ª Temp. Ep. 4', PLAIN_MP4, ep('series', 'Cidade Invisível', 2, 4)],
  [null, 'The Walking Dead Season 1 Episode 2', PLAIN_MP4, ep('series', 'The Walking Dead', 1, 2)],
  [null, 'Gênesis Cap 45', PLAIN_MP4, ep('novela', 'Gênesis', null, 45)],
  [null, 'Reis Cap. 012', PLAIN_MP4, ep('novela', 'Reis', null, 12)],
  [null, 'Pantanal Capítulo 12', PLAIN_MP4, ep('novela', 'Pantanal', null, 12)],
  [null, 'Pantanal Capitulo 13', PLAIN_MP4, ep('novela', 'Pantanal', null, 13)],
  ['NOVELAS', 'Rebelde Episódio 150', PLAIN_MP4, ep('novela', 'Rebelde', null, 150)],
  [null, 'Chiquititas Episódio 150', PLAIN_MP4, ep('series', 'Chiquititas', null, 150)],
  ['ANIME', 'Naruto Shippuden Ep 05', PLAIN_MP4, ep('series', 'Naruto Shippuden', null, 5)],
  [null, 'The.Boys.S04E08.1080p.WEB-DL', PLAIN_MP4, ep('series', 'The Boys', 4, 8, { quality: '1080p' })],
  [null, 'Friends S01E01-E02', PLAIN_MP4, ep('series', 'Friends', 1, 1)],
  ['Séries | HBO Max', 'Game of Thrones S08E06 - The Iron Throne', SERIES_URL, ep('series', 'Game of Thrones', 8, 6)],
  ['Séries | HBO Max', 'House of the Dragon - S02E01 - A Son for a Son', SERIES_URL, ep('series', 'House of the Dragon', 2, 1)],
  ['Séries | Netflix', 'Stranger Things S04E09 [L]', SERIES_URL, ep('series', 'Stranger Things', 4, 9, { language: 'subtitled' })],
  ['Séries | HBO Max', 'The Last of Us S01E03 Dublado 1080p', SERIES_URL, ep('series', 'The Last of Us', 1, 3, { language: 'dubbed', quality: '1080p' })],
  ['Séries | Disney+', "Grey's Anatomy S19E01", SERIES_URL, ep('series', "Grey's Anatomy", 19, 1)],
  ['Séries | Star+', '9-1-1 S05E03', SERIES_URL, ep('series', '9-1-1', 5, 3)],
  ['Séries | Paramount+', 'S.W.A.T. S06E13', SERIES_URL, ep('series', 'S.W.A.T.', 6, 13)],
  ['Séries | HBO Max', 'The 100 S07E16', SERIES_URL, ep('series', 'The 100', 7, 16)],
  ['Séries | Netflix', '3% S04E01', SERIES_URL, ep('series', '3%', 4, 1)],
  ['ANIME', 'Attack on Titan S04 E28 Legendado', SERIES_URL, ep('series', 'Attack on Titan', 4, 28, { language: 'subtitled' })],
  ['ANIME', 'Demon Slayer T03 E11 Dual Áudio', SERIES_URL, ep('series', 'Demon Slayer', 3, 11, { language: 'dual' })],
  ['Séries | Netflix', 'Cobra Kai (2018) S06E15', SERIES_URL, ep('series', 'Cobra Kai', 6, 15, { year: 2018 })],
  ['Séries | Netflix', 'The Crown S05', SERIES_URL, ep('series', 'The Crown', 5, null)],
  ['Séries | Netflix', 'Bridgerton Temporada 3 Completa', SERIES_URL, ep('series', 'Bridgerton', 3, null)],
  ['TV Shows', 'Succession S04E10', PLAIN_MP4, ep('series', 'Succession', 4, 10)],
  ['Doramas', 'Pousando no Amor E16', SERIES_URL, ep('series', 'Pousando no Amor', null, 16)],
  [null, 'Pousando no Amor E16', PLAIN_MP4, m('Pousando no Amor E16', null)],
  ['Séries | Netflix', 'Dark 3x08', SERIES_URL, ep('series', 'Dark', 3, 8)],
  ['Séries | Netflix', 'Friends 1x5', PLAIN_MP4, ep('series', 'Friends', 1, 5)],
  [null, 'Friends 1x5', PLAIN_MP4, m('Friends 1x5', null)],
  [null, 'The Flash 1x23 - O Início', PLAIN_MP4, ep('series', 'The Flash', 1, 23)],

  // --- Novelas ---------------------------------------------------------------------------------
  ['NOVELAS', 'O Clone (2001) Capítulo 221', SERIES_URL, ep('novela', 'O Clone', null, 221, { year: 2001 })],
  ['Novelas | Globo', 'Mulheres Apaixonadas - Cap 10', SERIES_URL, ep('novela', 'Mulheres Apaixonadas', null, 10)],
  ['Novelas | Globo', 'Terra e Paixão Cap. 150 HD', SERIES_URL, ep('novela', 'Terra e Paixão', null, 150, { quality: '720p' })],
  ['Novelas Turcas', 'Mar de Amor S1 E33', SERIES_URL, ep('novela', 'Mar de Amor', 1, 33)],
  ['Novelas | Globo', 'Renascer Cap 88', SERIES_URL, ep('novela', 'Renascer', null, 88), { attrs: { 'tvg-type': 'series' } }],
  ['Novelas | SBT', 'Carrossel Capítulo 310 [Nacional]', SERIES_URL, ep('novela', 'Carrossel', null, 310)],

  // --- Movies whose titles contain NxN or numbers ------------------------------------------
  ['Filmes', '4x4 (2019)', MOVIE_URL, m('4x4', 2019)],
  [null, '10x10 (2018)', PLAIN_MP4, m('10x10', 2018)],
  [null, 'Carga Pesada 2x4', PLAIN_MP4, m('Carga Pesada 2x4', null)],
  [null, 'Operação 4x4 Extremo (2021)', PLAIN_MP4, m('Operação 4x4 Extremo', 2021)],
  ['Filmes | Ação', 'Missão Resgate 3x10 (2020)', PLAIN_MP4, m('Missão Resgate 3x10', 2020)],
  [null, 'Sete Vidas 1x10', MOVIE_URL, m('Sete Vidas 1x10', null)],
  [null, 'Esquadrão 6x12', PLAIN_MP4, m('Esquadrão 6x12', null), { attrs: { 'tvg-type': 'movie' } }],
  ['Filmes', '1917 (2019)', MOVIE_URL, m('1917', 2019)],
  ['Filmes', '1917', MOVIE_URL, m('1917', null)],
  ['Filmes', 'Blade Runner 2049 (2017)', MOVIE_URL, m('Blade Runner 2049', 2017)],
  ['Filmes', 'Blade Runner 2049', MOVIE_URL, m('Blade Runner 2049', null)],
  ['Filmes', '2012 (2009)', MOVIE_URL, m('2012', 2009)],
  ['Filmes', '2001: Uma Odisseia no Espaço (1968)', MOVIE_URL, m('2001: Uma Odisseia no Espaço', 1968)],
  ['Filmes', 'Apollo 13 (1995) Dublado', MOVIE_URL, m('Apollo 13', 1995, { language: 'dubbed' })],
  ['Filmes', '007: Sem Tempo para Morrer (2021)', MOVIE_URL, m('007: Sem Tempo para Morrer', 2021)],
  ['Filmes', '300 - 2006', MOVIE_URL, m('300', 2006)],
  ['Filmes', 'Shrek 2 2004', MOVIE_URL, m('Shrek 2', 2004)],
  ['Filmes', 'Toy Story 4 (2019) 720p', MOVIE_URL, m('Toy Story 4', 2019, { quality: '720p' })],
  ['Filmes', 'Rocky II: A Revanche (1979)', MOVIE_URL, m('Rocky II: A Revanche', 1979)],
  ['Filmes', 'Kill Bill: Volume 1 (2003)', MOVIE_URL, m('Kill Bill: Volume 1', 2003)],
  ['Movies | Action', 'John Wick: Chapter 4 (2023)', MOVIE_URL, m('John Wick: Chapter 4', 2023)],
  [null, 'John Wick: Chapter 4 (2023)', PLAIN_MP4, m('John Wick: Chapter 4', 2023)],
  [null, 'Star Wars: Episódio IV - Uma Nova Esperança (1977)', PLAIN_MP4, m('Star Wars: Episódio IV - Uma Nova Esperança', 1977)],
  [null, 'Capitão América: Guerra Civil (2016)', PLAIN_MP4, m('Capitão América: Guerra Civil', 2016)],
  [null, 'Temporada de Caça (2006)', PLAIN_MP4, m('Temporada de Caça', 2006)],
  ['Filmes', 'Madagascar 3: Os Procurados (2012)', MOVIE_URL, m('Madagascar 3: Os Procurados', 2012)],

  // --- Movies: tags, languages, qualities, prefixes -------------------------------------------
  ['Filmes | Ação', 'Velozes & Furiosos 9 (2021) [Dublado]', MOVIE_URL, m('Velozes & Furiosos 9', 2021, { language: 'dubbed' })],
  ['Filmes | Terror', 'Corra! (2017) Legendado', MOVIE_URL, m('Corra!', 2017, { language: 'subtitled' })],
  ['Filmes | Comédia', 'Se Beber, Não Case! (2009)', MOVIE_URL, m('Se Beber, Não Case!', 2009)],
  ['Filmes | Ação', 'Homem-Aranha: Sem Volta para Casa 2021 1080p Dual Áudio', MOVIE_URL, m('Homem-Aranha: Sem Volta para Casa', 2021, { quality: '1080p', language: 'dual' })],
  ['Filmes | Drama', 'Oppenheimer (2023) 4K HDR', MOVIE_URL, m('Oppenheimer', 2023, { quality: '2160p' })],
  ['Filmes | Comédia', 'Barbie 2023 FHD Dublado', MOVIE_URL, m('Barbie', 2023, { quality: '1080p', language: 'dubbed' })],
  ['Filmes | Nacionais', 'Tropa de Elite (2007) Nacional', MOVIE_URL, m('Tropa de Elite', 2007)],
  ['Filmes | Nacionais', 'O Auto da Compadecida [Nacional] (2000)', MOVIE_URL, m('O Auto da Compadecida', 2000)],
  ['Filmes | Drama', 'Parasita (2019) [Legendado] [720p]', MOVIE_URL, m('Parasita', 2019, { language: 'subtitled', quality: '720p' })],
  ['Filmes | Drama', 'Coringa (2019) (Dual Áudio)', MOVIE_URL, m('Coringa', 2019, { language: 'dual' })],
  ['Filmes | Ficção', 'Interestelar (2014) 2160p UHD', MOVIE_URL, m('Interestelar', 2014, { quality: '2160p' })],
  ['Filmes | Ação', 'Gladiador (2000) SD', MOVIE_URL, m('Gladiador', 2000, { quality: '480p' })],
  ['Filmes | Ação', 'Matrix (1999) HD', MOVIE_URL, m('Matrix', 1999, { quality: '720p' })],
  ['Filmes | Ação', 'Mad Max: Estrada da Fúria (2015) Full HD', MOVIE_URL, m('Mad Max: Estrada da Fúria', 2015, { quality: '1080p' })],
  ['Filmes | Ação', 'Top Gun: Maverick (2022) 360p', MOVIE_URL, m('Top Gun: Maverick', 2022, { quality: '360p' })],
  ['Filmes | Drama', 'Avatar: O Caminho da Água (2022) [8K]', MOVIE_URL, m('Avatar: O Caminho da Água', 2022, { quality: '4320p' })],
  ['Filmes | Legendados', 'The Shawshank Redemption (1994)', MOVIE_URL, m('The Shawshank Redemption', 1994, { language: 'subtitled' })],
  ['Filmes | Dublados', 'A Origem (2010) - Dublado', MOVIE_URL, m('A Origem', 2010, { language: 'dubbed' })],
  ['Filmes | Dublados', 'O Rei Leão (2019)', MOVIE_URL, m('O Rei Leão', 2019, { language: 'dubbed' })],
  ['Movies | Action', 'Mission: Impossible - Dead Reckoning Part One (2023)', MOVIE_URL, m('Mission: Impossible - Dead Reckoning Part One', 2023)],
  ['Movies | Drama', "Ocean's Eleven (2001) [Dublado/Legendado]", MOVIE_URL, m("Ocean's Eleven", 2001, { language: 'dual' })],
  ['Filmes | Ação', 'Sr. & Sra. Smith (2005)', MOVIE_URL, m('Sr. & Sra. Smith', 2005)],
  ['Filmes | Terror', 'It: A Coisa (2017)', MOVIE_URL, m('It: A Coisa', 2017)],
  ['Filmes | Ficção', 'ET: O Extraterrestre (1982)', MOVIE_URL, m('ET: O Extraterrestre', 1982)],
  ['Filmes | Nacionais', 'BR: Cidade de Deus (2002)', MOVIE_URL, m('Cidade de Deus', 2002)],
  ['Filmes | Nacionais', '|BR| Tropa de Elite 2 (2010)', MOVIE_URL, m('Tropa de Elite 2', 2010)],
  ['Filmes | Nacionais', '[PT-BR] Central do Brasil (1998)', MOVIE_URL, m('Central do Brasil', 1998)],
  ['Filmes | Terror', '#Alive (2020) [L]', MOVIE_URL, m('#Alive', 2020, { language: 'subtitled' })],
  ['Filmes | Comédia', '*batteries not included (1987)', MOVIE_URL, m('*batteries not included', 1987)],
  ['Filmes', 'Batman (Versão Estendida) (2022)', MOVIE_URL, m('Batman (Versão Estendida)', 2022)],
  ['Filmes', 'Ainda Estou Aqui 2024', MOVIE_URL, m('Ainda Estou Aqui', 2024)],
  ['Filmes', 'Filme do Futuro (2031)', MOVIE_URL, m('Filme do Futuro (2031)', null)],
  ['Filmes | Lançamentos', 'Deadpool & Wolverine (2024) [4K] [Dual Áudio]', MOVIE_URL, m('Deadpool & Wolverine', 2024, { quality: '2160p', language: 'dual' })],
  ['Filmes | Animação', 'Divertida Mente 2 (2024) [L]', MOVIE_URL, m('Divertida Mente 2', 2024, { language: 'subtitled' })],

  // --- Live channels ---------------------------------------------------------------------------
  ['Canais | Esportes', 'ESPN 2 HD', 'http://cdn.example:8080/u/p/5005.ts', live('ESPN 2', { quality: '720p' })],
  ['Canais | Abertos', 'GLOBO SP FHD', LIVE_URL, live('GLOBO SP', { quality: '1080p' })],
  ['Canais | Filmes e Séries', 'TELECINE PIPOCA 4K', LIVE_URL, live('TELECINE PIPOCA', { quality: '2160p' })],
  [null, 'BR: GLOBO RJ HD', 'http://cdn.example:8080/u/p/6006', live('GLOBO RJ', { quality: '720p' })],
  ['24 HORAS | Desenhos', 'Pica-Pau 24h', PLAIN_MP4, live('Pica-Pau 24h')],
  [null, 'Canal Qualquer', PLAIN_MP4, live('Canal Qualquer'), { attrs: { 'tvg-type': 'live' } }],
  [null, 'Rádio Globo', 'http://radio.example/globo', live('Rádio Globo'), { attrs: { radio: 'true' } }],
  ['PPV', 'UFC 300 Card Principal', 'http://cdn.example/ppv/300.m3u8', live('UFC 300 Card Principal')],
  [null, 'Band SD', 'http://cdn.example/play/AbCdEf/ts', live('Band', { quality: '480p' })],
  ['Canais | Esportes', 'Copa do Mundo 2026 FHD', LIVE_URL, live('Copa do Mundo 2026', { quality: '1080p' })],
  ['Canais | Esportes', 'Premiere (2024) HD', LIVE_URL, live('Premiere (2024)', { quality: '720p' })],

  // --- Evidence order ----------------------------------------------------------------------------
  ['Filmes e Séries', 'Sintonia S01E01', PLAIN_MP4, ep('series', 'Sintonia', 1, 1)],
  ['Filmes e Séries', 'Bacurau (2019)', PLAIN_MP4, m('Bacurau', 2019)],
  ['Novelas', 'Avenida Brasil Cap 5', SERIES_URL, ep('novela', 'Avenida Brasil', null, 5)],
  ['Séries', 'Filme Mal Classificado (2020)', SERIES_URL, ep('series', 'Filme Mal Classificado', null, null, { year: 2020 }), { attrs: { 'tvg-type': 'series' } }],
  [null, 'Round 6 S02E03', SERIES_URL, m('Round 6 S02E03', null), { attrs: { 'tvg-type': 'movie' } }],
  [null, 'Bacurau (2019)', SERIES_URL, ep('series', 'Bacurau', null, null, { year: 2019 })],
  [null, 'Gente Grande (2010)', 'http://cdn.example/play/Tok3n#.mp4', m('Gente Grande', 2010)],
  [null, 'Gente Grande 2 (2013)', 'http://cdn.example/s/7002', m('Gente Grande 2', 2013)],
  [null, 'Podcast Semanal', 'http://cdn.example/audio/ep.mp3', { type: 'other', title: 'Podcast Semanal' }],
  [null, 'Filme Qualquer', 'http://cdn.example/x.mp4', m('Filme Qualquer', null), { typeHint: 'movie' }],
  ['Filmes', 'Avenida Brasil Cap 5', PLAIN_MP4, m('Avenida Brasil Cap 5', null)],

  // --- Release names: dots for spaces, tags after the year or the episode ---------------------
  [null, 'The.Last.of.Us.S01E03.1080p.WEB-DL.DUAL.x264', PLAIN_MP4, ep('series', 'The Last of Us', 1, 3, { quality: '1080p', language: 'dual' })],
  [null, 'Oppenheimer.2023.2160p.BluRay.x265-GROUP', PLAIN_MP4, m('Oppenheimer', 2023, { quality: '2160p' })],
  [null, 'Casa.de.Papel.S02E01.PT-BR.720p', PLAIN_MP4, ep('series', 'Casa de Papel', 2, 1, { quality: '720p' })],
  ['Filmes | Lançamentos', 'Dune.Part.Two.2024.1080p.WEBRip.x264.AAC5.1-RARBG', MOVIE_URL, m('Dune Part Two', 2024, { quality: '1080p' })],
  [null, 'The.Boys.S04E08.Some.Episode.Name.1080p.AMZN.WEB-DL.DDP5.1.H.264-NTb', PLAIN_MP4, ep('series', 'The Boys', 4, 8, { quality: '1080p' })],
  [null, 'Blade.Runner.2049.2017.1080p.BluRay.x264', PLAIN_MP4, m('Blade Runner 2049', 2017, { quality: '1080p' })],
  [null, '2001.A.Space.Odyssey.1968.1080p.BluRay', PLAIN_MP4, m('2001 A Space Odyssey', 1968, { quality: '1080p' })],
  ['Filmes', '1917.2019.2160p.UHD.BluRay.x265.10bit.HDR', MOVIE_URL, m('1917', 2019, { quality: '2160p' })],
  ['Filmes | Nacionais', 'Tropa.de.Elite.2007.NACIONAL.1080p.WEB-DL', MOVIE_URL, m('Tropa de Elite', 2007, { quality: '1080p' })],
  [null, 'Parasita.2019.720p.BluRay.LEGENDADO', PLAIN_MP4, m('Parasita', 2019, { quality: '720p', language: 'subtitled' })],
  [null, 'Coringa.2019.DUBLADO.1080p.BluRay.x264-DUAL', PLAIN_MP4, m('Coringa', 2019, { quality: '1080p', language: 'dubbed' })],
  [null, 'Breaking.Bad.S05E14.Ozymandias.720p.HDTV.x264', PLAIN_MP4, ep('series', 'Breaking Bad', 5, 14, { quality: '720p' })],
  [null, 'Dark.S03.COMPLETE.1080p.NF.WEB-DL', PLAIN_MP4, ep('series', 'Dark', 3, null, { quality: '1080p' })],
  ['Séries | Netflix', 'Round.6.S02E03.DUAL.1080p', SERIES_URL, ep('series', 'Round 6', 2, 3, { quality: '1080p', language: 'dual' })],
  [null, 'Sintonia.1a.Temporada.Ep.03.1080p', PLAIN_MP4, ep('series', 'Sintonia', 1, 3, { quality: '1080p' })],
  [null, 'La.Casa.de.Papel.T02E05.720p.Castellano', PLAIN_MP4, ep('series', 'La Casa de Papel', 2, 5, { quality: '720p', language: 'dubbed' })],
  [null, 'Interestelar.2014.1080p.BRRip.Dual.Audio', PLAIN_MP4, m('Interestelar', 2014, { quality: '1080p', language: 'dual' })],
  [null, 'Mad.Max.Fury.Road.2015.REPACK.PROPER.1080p.BluRay', PLAIN_MP4, m('Mad Max Fury Road', 2015, { quality: '1080p' })],
  [null, 'Mad.Max.1080p.BluRay', PLAIN_MP4, m('Mad Max', null, { quality: '1080p' })],
  [null, 'La.Casa.de.Papel.Temporada.2.Capitulo.5.720p', PLAIN_MP4, ep('series', 'La Casa de Papel', 2, 5, { quality: '720p' })],
  ['Séries | Disney+', 'The.Mandalorian.S02E08.Chapter.16.The.Rescue.2160p.DSNP.WEB-DL.DDP5.1.Atmos.DV.HEVC-GROUP', SERIES_URL, ep('series', 'The Mandalorian', 2, 8, { quality: '2160p' })],
  [null, 'Avatar.The.Way.of.Water.2022.IMAX.2160p.WEB-DL.DDP5.1.Atmos.H.265-GROUP', PLAIN_MP4, m('Avatar The Way of Water', 2022, { quality: '2160p' })],
  [null, 'S.W.A.T.2017.S06E13.1080p', PLAIN_MP4, ep('series', 'S.W.A.T.', 6, 13, { year: 2017, quality: '1080p' })],
  [null, 'Anatomia.de.uma.Queda.2023.1080p.WEB-DL.DUAL.5.1', PLAIN_MP4, m('Anatomia de uma Queda', 2023, { quality: '1080p', language: 'dual' })],
  [null, 'Mr.Robot.S01E01.720p', PLAIN_MP4, ep('series', 'Mr Robot', 1, 1, { quality: '720p' })],
  ['Filmes | Nacionais', 'Cidade.de.Deus.2002.1080p.BluRay.DUAL.x264', MOVIE_URL, m('Cidade de Deus', 2002, { quality: '1080p', language: 'dual' })],
  [null, 'Top.Gun.Maverick.2022.1080p.WEB-DL.DUAL.5.1-GROUP', PLAIN_MP4, m('Top Gun Maverick', 2022, { quality: '1080p', language: 'dual' })],

  // --- Season words: Portuguese and Spanish ordinals, long and short forms, anywhere ------------
  [null, 'Sintonia 1ª Temporada', PLAIN_MP4, ep('series', 'Sintonia', 1, null)],
  [null, 'Sintonia - 2a Temporada Dublado', PLAIN_MP4, ep('series', 'Sintonia', 2, null, { language: 'dubbed' })],
  [null, 'Dark 2º Temporada', PLAIN_MP4, ep('series', 'Dark', 2, null)],
  [null, 'Vikings Temporada 3', PLAIN_MP4, ep('series', 'Vikings', 3, null)],
  [null, 'The Crown Season 2', PLAIN_MP4, ep('series', 'The Crown', 2, null)],
  ['Séries | Netflix', 'La Casa de Papel T02', SERIES_URL, ep('series', 'La Casa de Papel', 2, null)],
  [null, 'Sherlock T03', PLAIN_MP4, ep('series', 'Sherlock', 3, null)],
  [null, 'Sintonia Temporada 1 Episódio 5', PLAIN_MP4, ep('series', 'Sintonia', 1, 5)],
  [null, 'Cidade Invisível Temp. 2 Ep. 3', PLAIN_MP4, ep('series', 'Cidade Invisível', 2, 3)],
  ['NOVELAS', 'Gênesis Temporada 1 Cap. 12', SERIES_URL, ep('novela', 'Gênesis', 1, 12)],
  [null, 'La Casa de Papel Cap. 12', PLAIN_MP4, ep('novela', 'La Casa de Papel', null, 12)],
  [null, 'Élite 3ra Temporada Capítulo 4', PLAIN_MP4, ep('series', 'Élite', 3, 4)],
  ['Series', 'La Reina del Sur 2da Temporada', SERIES_URL, ep('series', 'La Reina del Sur', 2, null)],
  [null, 'Merlí 1era Temporada Episodio 7', PLAIN_MP4, ep('series', 'Merlí', 1, 7)],
  [null, 'Vis a Vis Temporada 2 Capitulo 8', PLAIN_MP4, ep('series', 'Vis a Vis', 2, 8)],
  [null, 'Rebelde 3ra. Temporada Cap 10', PLAIN_MP4, ep('series', 'Rebelde', 3, 10)],
  [null, 'La Casa de Papel 1.ª Temporada Episodio 2', PLAIN_MP4, ep('series', 'La Casa de Papel', 1, 2)],
  [null, 'Dark (2ª Temporada) Ep 05', PLAIN_MP4, ep('series', 'Dark', 2, 5)],
  [null, 'Dark [Temporada 2] Episódio 5', PLAIN_MP4, ep('series', 'Dark', 2, 5)],
  [null, '1ª Temporada - Sintonia', PLAIN_MP4, ep('series', 'Sintonia', 1, null)],
  ['Séries | Netflix', 'Temporada 3 - Bridgerton', SERIES_URL, ep('series', 'Bridgerton', 3, null)],
  [null, 'Sintonia Segunda Temporada', PLAIN_MP4, ep('series', 'Sintonia', 2, null)],
  [null, 'Segunda Temporada de Sintonia', PLAIN_MP4, ep('series', 'Sintonia', 2, null)],
  [null, 'Primera Temporada de La Casa de Papel', PLAIN_MP4, ep('series', 'La Casa de Papel', 1, null)],
  [null, 'Temporada 2 da Série Sintonia', PLAIN_MP4, ep('series', 'Série Sintonia', 2, null)],
  ['Series', 'Season 3 of The Crown', SERIES_URL, ep('series', 'The Crown', 3, null)],
  [null, 'Narcos Tercera Temporada Episodio 2', PLAIN_MP4, ep('series', 'Narcos', 3, 2)],
  [null, 'Cobra Kai 4th Season', PLAIN_MP4, ep('series', 'Cobra Kai', 4, null)],
  [null, 'Peaky Blinders 6th Season Episode 1', PLAIN_MP4, ep('series', 'Peaky Blinders', 6, 1)],
  [null, 'Stranger Things Season 4 Episode 9 Dublado', PLAIN_MP4, ep('series', 'Stranger Things', 4, 9, { language: 'dubbed' })],
  [null, 'Sintonia - 1ª Temporada - Episódio 03 - O Começo', PLAIN_MP4, ep('series', 'Sintonia', 1, 3)],
  [null, 'Reis Temporada 1 Cap 12 Dublado', PLAIN_MP4, ep('series', 'Reis', 1, 12, { language: 'dubbed' })],
  [null, 'Manifest 2ª Temp Ep 10', PLAIN_MP4, ep('series', 'Manifest', 2, 10)],
  [null, 'The Walking Dead - Temporada 11 - Episodio 24 [Latino]', PLAIN_MP4, ep('series', 'The Walking Dead', 11, 24, { language: 'dubbed' })],
  ['Séries | Netflix', 'Dark 2ª Temporada Completa [1080p]', SERIES_URL, ep('series', 'Dark', 2, null, { quality: '1080p' })],
  [null, 'Chaves Temporada 1 (1973)', PLAIN_MP4, ep('series', 'Chaves', 1, null, { year: 1973 })],
  [null, 'Élite T04 Subtitulado', PLAIN_MP4, ep('series', 'Élite', 4, null, { language: 'subtitled' })],
  ['Filmes | Animação', 'Coco (2017) [Latino]', MOVIE_URL, m('Coco', 2017, { language: 'dubbed' })],
  // ... and titles that only look like them stay movies.
  [null, 'Amor Latino (2020)', PLAIN_MP4, m('Amor Latino', 2020)],
  [null, 'T2 Trainspotting (2017)', PLAIN_MP4, m('T2 Trainspotting', 2017)],
  [null, 'Temporada de Caça 2 (2008)', PLAIN_MP4, m('Temporada de Caça 2', 2008)],
  ['Filmes', 'Season of the Witch (2011)', MOVIE_URL, m('Season of the Witch', 2011)],
];

describe('classifier table', () => {
  const classify = createClassifier({ currentYear: YEAR });
  it('has at least 200 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(200);
  });

  it.each(rows.map((r, i) => [i, r[1], r] as const))('#%i %s', (_i, _title, [group, title, url, expected, extra]) => {
    const c = classify({ title, url, groupTitle: group, ...extra });
    const got = {
      type: c.contentType,
      title: c.cleanTitle,
      year: c.year,
      season: c.season,
      episode: c.episode,
      quality: c.quality,
      language: c.language,
    };
    expect(got).toEqual({ year: null, season: null, episode: null, quality: null, language: null, ...expected });
    if (c.contentType === 'series' || c.contentType === 'novela') expect(c.show).toBe(c.cleanTitle);
    else expect(c.show).toBeNull();
  });
});

describe('classifier details', () => {
  it('reports tags, quality tag, rank, episode title and evidence', () => {
    const c = classifyEntry(
      { title: 'Breaking Bad S01E01 - Pilot [720p] Dublado', url: SERIES_URL, groupTitle: 'Séries | AMC' },
      { currentYear: YEAR },
    );
    expect(c).toMatchObject({
      contentType: 'series',
      show: 'Breaking Bad',
      episodeTitle: 'Pilot',
      quality: '720p',
      qualityTag: '720p',
      qualityRank: 4,
      language: 'dubbed',
      tags: ['720p', 'Dublado'],
      group: 'Séries | AMC',
      typeEvidence: 'url',
    });
  });

  it('keeps the raw tags of a movie', () => {
    const c = classifyEntry({ title: 'Duna: Parte Dois (2024) [4K] Nacional', groupTitle: '4K', url: PLAIN_MP4 }, { currentYear: YEAR });
    expect(c.tags).toEqual(['4K', 'Nacional']);
    expect(c.qualityTag).toBe('4K');
    expect(c.qualityRank).toBe(7);
  });

  it('prefers an explicit resolution over a quality word', () => {
    const c = classifyEntry({ title: 'Filme (2020) [4K] 1080p', url: PLAIN_MP4 }, { currentYear: YEAR });
    expect([c.quality, c.qualityTag]).toEqual(['1080p', '1080p']);
  });

  it('takes quality and language from the group when the title has none', () => {
    const c = classifyEntry({ title: 'Interestelar (2014)', groupTitle: 'Filmes 4K | Legendados', url: MOVIE_URL }, { currentYear: YEAR });
    expect([c.quality, c.qualityTag, c.language]).toEqual(['2160p', '4K', 'subtitled']);
  });

  it('reads an episode range', () => {
    const c = classifyEntry({ title: 'Friends S01E01-E02', url: SERIES_URL }, { currentYear: YEAR });
    expect([c.season, c.episode, c.episodeEnd]).toEqual([1, 1, 2]);
  });

  it('carries provider ids: tmdb attribute, Xtream stream id and type, host', () => {
    const c = classifyEntry({ title: 'Bacurau (2019)', url: 'http://Cdn.Example:8080/movie/u/p/123456.mp4', attrs: { tmdb: '550' } }, { currentYear: YEAR });
    expect(c.providerIds).toEqual({ tmdb: '550', streamId: '123456', streamType: 'movie', host: 'cdn.example:8080' });
    expect(classifyEntry({ title: 'X', url: 'http://h/x.mp4', attrs: { tmdb: 'abc' } }).providerIds).toEqual({ host: 'h' });
  });

  it('falls back to tvg-name when the title is only an episode marker', () => {
    const c = classifyEntry({ title: 'S01E05', tvgName: 'Lupin S01E05', url: SERIES_URL }, { currentYear: YEAR });
    expect([c.contentType, c.show, c.season, c.episode]).toEqual(['series', 'Lupin', 1, 5]);
  });

  it('joins groups from #EXTGRP when there is no group-title', () => {
    const c = classifyEntry({ title: 'Avenida Brasil Cap 3', groups: ['Novelas', 'Globo'], url: PLAIN_MP4 });
    expect([c.contentType, c.group]).toEqual(['novela', 'Novelas;Globo']);
  });

  it('judges years against currentYear', () => {
    expect(classifyEntry({ title: 'Filme (2027)', url: PLAIN_MP4 }, { currentYear: 2026 }).year).toBe(2027);
    expect(classifyEntry({ title: 'Filme (2028)', url: PLAIN_MP4 }, { currentYear: 2026 }).year).toBeNull();
  });
});

describe('group and URL signals', () => {
  it.each([
    ['Filmes | Ação', 'movie'],
    ['Movies', 'movie'],
    ['Lançamentos 2026', 'movie'],
    ['Séries | Netflix', 'series'],
    ['SERIES | PARAMOUNT+', 'series'],
    ['Animes | Legendados', 'series'],
    ['Animes | Filmes', 'movie'],
    ['Doramas', 'series'],
    ['Lançamentos Séries', 'series'],
    ['NOVELAS', 'novela'],
    ['Telenovelas Mexicanas', 'novela'],
    ['CINE SERIES HD 24HRS', 'live'],
    ['Canais | Filmes', 'live'],
    ['Desenhos 24/7', 'live'],
    ['Filmes | Live Action', 'movie'],
    ['Filmes e Séries', null],
    ['SPORTV', null],
    ['4K', null],
  ] as const)('%s -> %s', (group, type) => {
    expect(groupSignals(group).type).toBe(type);
  });

  it.each([
    ['http://h:80/movie/u/p/12.mp4', { streamType: 'movie', streamId: '12', ext: 'vod', host: 'h:80' }],
    ['http://h/series/u/p/34.mkv', { streamType: 'series', streamId: '34', ext: 'vod', host: 'h' }],
    ['http://h/live/u/p/56.ts', { streamType: 'live', streamId: '56', ext: 'stream', host: 'h' }],
    ['http://h/u/p/78', { streamType: 'live', streamId: '78', ext: 'none', host: 'h' }],
    ['http://h/u/p/78.m3u8', { streamType: 'live', streamId: '78', ext: 'stream', host: 'h' }],
    ['http://h/a/b/c/78.m3u8', { streamType: null, streamId: null, ext: 'stream', host: 'h' }],
    ['http://user:pw@h/play/Tok3n#.mp4', { streamType: null, streamId: null, ext: 'vod', host: 'h' }],
    ['http://h/play/Tok3n/ts', { streamType: null, streamId: null, ext: 'stream', host: 'h' }],
    ['http://h/s/7002', { streamType: null, streamId: null, ext: 'none', host: 'h' }],
    ['http://h/movie/u/p/abc.mp4', { streamType: null, streamId: null, ext: 'vod', host: 'h' }],
    ['http://h/x/movie/u/p/9.mp4?token=1', { streamType: 'movie', streamId: '9', ext: 'vod', host: 'h' }],
  ] as const)('%s', (url, expected) => {
    expect(urlSignals(url)).toEqual(expected);
  });
});
