import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../addon/jobs/model.js';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { transferFile } from '../../../addon/library/destinations/transfer.js';
import type { Destination, DestinationConfig } from '../../../addon/library/destinations/types.js';
import { imageFetcher } from '../../../addon/library/metadata/fetch-image.js';
import { MetadataFileRepository } from '../../../addon/library/metadata/repository.js';
import { MetadataWriter } from '../../../addon/library/metadata/writer.js';
import type { DestinationRecord } from '../../../addon/library/model.js';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../../addon/platform/http.js';
import { silentLogger } from '../../../addon/platform/logger.js';
import { TmdbClient } from '../../../addon/sources/tmdb.js';
import { Store } from '../../../addon/store/db.js';
import { startFakeTmdb, type FakeTmdb } from '../../fakes/tmdb.js';
import { startRsyncd, type RsyncdServer } from '../../fakes/servers/rsyncd.js';
import { startSamba, type SambaServer } from '../../fakes/servers/samba.js';
import { startSshd, type SshdServer } from '../../fakes/servers/sshd.js';
import { deps as destinationDeps } from '../destinations/helpers.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (n) => n === 'genre' });
const readNfo = async (file: string) => {
  const xml = await fsp.readFile(file, 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml);
};
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

let tmdbFake: FakeTmdb;
let sshd: SshdServer;
let samba: SambaServer;
let rsyncd: RsyncdServer;
let work: string;
const http = createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 4, userAgent: DEFAULT_USER_AGENT });

beforeAll(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'm3u-metadata-'));
  [tmdbFake, sshd, samba, rsyncd] = await Promise.all([startFakeTmdb(), startSshd(), startSamba(), startRsyncd()]);
  tmdbFake.movies.push({ id: 603, title: 'The Matrix', original_title: 'The Matrix', overview: 'A hacker learns the truth.', poster_path: '/matrix-poster.jpg', backdrop_path: '/matrix-back.jpg', genre_ids: [28, 878], release_date: '1999-03-31' });
  tmdbFake.shows.push({
    id: 70523,
    name: 'Dark',
    original_name: 'Dark',
    overview: 'Time travel in a small town.',
    poster_path: '/dark-poster.jpg',
    backdrop_path: '/dark-back.jpg',
    genre_ids: [18, 9648],
    first_air_date: '2017-12-01',
    seasons: [{ season_number: 1, poster_path: '/dark-s1.jpg' }],
    episodes: [{ id: 1376380, season_number: 1, episode_number: 1, name: 'Secrets', overview: 'A boy vanishes.', air_date: '2017-12-01', still_path: '/dark-e1.jpg' }],
  });
});
afterAll(async () => {
  await Promise.all([tmdbFake?.close(), sshd?.close(), samba?.close(), rsyncd?.close()]);
  http.close();
  await fsp.rm(work, { recursive: true, force: true });
});

const kinds = [
  { kind: 'local' as const, root: () => path.join(work, 'local'), config: (): DestinationConfig => ({ id: 'lib', name: 'Library', kind: 'local', base_path: path.join(work, 'local') }) },
  {
    kind: 'sftp' as const,
    root: () => path.join(sshd.root, 'Library'),
    config: (): DestinationConfig => ({ id: 'lib', name: 'Seedbox', kind: 'sftp', host: sshd.host, port: sshd.port, username: sshd.user, password: sshd.password, base_path: `${sshd.root}/Library` }),
  },
  {
    kind: 'smb' as const,
    root: () => path.join(samba.root, 'Library'),
    config: (): DestinationConfig => ({ id: 'lib', name: 'NAS', kind: 'smb', host: samba.host, port: samba.port, username: samba.user, password: samba.password, share: samba.share, base_path: 'Library' }),
  },
  {
    kind: 'rsync' as const,
    root: () => path.join(rsyncd.root, 'Library'),
    config: (): DestinationConfig => ({ id: 'lib', name: 'rsync NAS', kind: 'rsync', host: rsyncd.host, port: rsyncd.port, username: rsyncd.user, password: rsyncd.password, base_path: `${rsyncd.module}/Library` }),
  },
];

describe.each(kinds)('NFO and artwork through a $kind destination', ({ kind, root, config }) => {
  let dest: Destination;
  let store: Store;
  let writer: MetadataWriter;
  let mode: 'nfo' | 'nfo+art' = 'nfo+art';
  let repo: MetadataFileRepository;
  const clock = { now: () => Date.parse('2026-12-06T21:00:00Z'), sleep: async () => undefined };
  /** A writer with a fresh TMDB client (no cache), remembering what it wrote in the same db.json. */
  const makeWriter = (): MetadataWriter =>
    new MetadataWriter({
      destinations: { find: () => ({ ...config(), metadata: mode }) as DestinationRecord, adapter: () => dest },
      tmdb: new TmdbClient({ http, apiKey: tmdbFake.apiKey, baseUrl: tmdbFake.baseUrl, language: 'en-US', clock, logger: silentLogger() }),
      fetchImage: imageFetcher(globalThis.fetch),
      repo: (repo ??= new MetadataFileRepository(store)),
      tmpDir: path.join(work, `tmp-${config().kind}`),
      clock,
      logger: silentLogger(),
    });

  beforeAll(async () => {
    dest = createDestination(config(), destinationDeps());
    await dest.mkdirp(''); // as the destination's user, like a real library folder
    store = await Store.open(path.join(work, `db-${config().kind}.json`), silentLogger());
    writer = makeWriter();
  });
  afterAll(async () => {
    await dest?.close();
    await store?.close();
  });

  /** Files a person (or the download) put there, written through the destination so its user owns them. */
  const place = async (rel: string, content: string): Promise<void> => {
    const tmp = path.join(work, `place-${Math.random().toString(36).slice(2)}`);
    await fsp.writeFile(tmp, content);
    await transferFile(dest, tmp, rel, { deleteLocal: true });
  };
  const job = (over: Partial<Job>): Job => ({ id: 'j1', status: 'completed', title: 'The Matrix', content_type: 'movie', year: 1999, tmdb_id: 603, transfer: { destination_id: 'lib' }, ...over }) as unknown as Job;

  it('a movie: <video>.nfo from TMDB, poster.jpg and fanart.jpg from the image CDN, nothing half-written', async () => {
    const rel = 'Movies/The Matrix (1999)/The Matrix (1999).mkv';
    await place(rel, 'video');
    const report = await writer.write(job({ file_path: rel }));
    expect(report).toEqual({ written: ['Movies/The Matrix (1999)/The Matrix (1999).nfo', 'Movies/The Matrix (1999)/poster.jpg', 'Movies/The Matrix (1999)/fanart.jpg'], kept: [], failed: [] });
    expect(await listFiles(path.join(root(), 'Movies'))).toEqual(['The Matrix (1999)/The Matrix (1999).mkv', 'The Matrix (1999)/The Matrix (1999).nfo', 'The Matrix (1999)/fanart.jpg', 'The Matrix (1999)/poster.jpg']);
    const nfo = await readNfo(path.join(root(), 'Movies/The Matrix (1999)/The Matrix (1999).nfo'));
    expect(nfo.movie).toEqual({ title: 'The Matrix', originaltitle: 'The Matrix', year: '1999', premiered: '1999-03-31', plot: 'A hacker learns the truth.', genre: ['Action', 'Science Fiction'], uniqueid: { '#text': '603', '@type': 'tmdb', '@default': 'true' } });
    expect((await fsp.readFile(path.join(root(), 'Movies/The Matrix (1999)/poster.jpg'))).toString('latin1')).toContain('JFIF matrix-poster.jpg w780');
    expect((await fsp.readFile(path.join(root(), 'Movies/The Matrix (1999)/fanart.jpg'))).toString('latin1')).toContain('JFIF matrix-back.jpg w1280');
  });

  it('written again: unchanged files are kept; an NFO a person edited is never overwritten', async () => {
    const rel = 'Movies/The Matrix (1999)/The Matrix (1999).mkv';
    const again = await writer.write(job({ file_path: rel }));
    expect(again.written).toEqual([]);
    expect(again.kept).toHaveLength(3);
    const nfoFile = path.join(root(), 'Movies/The Matrix (1999)/The Matrix (1999).nfo');
    const edited = (await fsp.readFile(nfoFile, 'utf8')).replace('A hacker learns the truth.', 'My own plot, longer than before.');
    await fsp.writeFile(nfoFile, edited);
    // Different TMDB data now (a new overview): ours would be replaced, the edited one is not.
    tmdbFake.movies[0]!.overview = 'Changed upstream.';
    try {
      const third = await makeWriter().write(job({ file_path: rel, tmdb_id: 603, title: 'The Matrix', year: 1999, id: 'j2' }));
      expect(third.written).toEqual([]);
      expect(third.kept).toContain('Movies/The Matrix (1999)/The Matrix (1999).nfo');
    } finally {
      tmdbFake.movies[0]!.overview = 'A hacker learns the truth.';
    }
    expect(await fsp.readFile(nfoFile, 'utf8')).toBe(edited);
  });

  it('an NFO of ours, untouched, is replaced when the data changed (local only); a same-size edit is kept everywhere', async () => {
    const rel = 'Movies/Heat (1995).mkv';
    const nfo = path.join(root(), 'Movies/Heat (1995).nfo');
    await place(rel, 'video');
    mode = 'nfo';
    try {
      expect((await writer.write(job({ file_path: rel, title: 'Heat', year: 1995, tmdb_id: null }))).written).toEqual(['Movies/Heat (1995).nfo']);
      const first = await readNfo(nfo);
      expect(first.movie).toEqual({ title: 'Heat', originaltitle: 'Heat', year: '1995' }); // TMDB does not know it
      const newer = await writer.write(job({ file_path: rel, title: 'Heat', year: 1996, tmdb_id: null }));
      if (kind === 'local') {
        expect(newer.written).toEqual(['Movies/Heat (1995).nfo']);
        expect((await readNfo(nfo)).movie.year).toBe('1996');
      } else {
        // A remote NFO cannot be read back, so it is never replaced.
        expect(newer).toMatchObject({ written: [], kept: ['Movies/Heat (1995).nfo'] });
        expect((await readNfo(nfo)).movie.year).toBe('1995');
      }
      expect(await listFiles(path.join(root(), 'Movies'))).not.toContain('Heat (1995).nfo.part');
      // An edit that keeps the size exactly (a year corrected) is still the person's.
      const before = await fsp.readFile(nfo, 'utf8');
      const edited = before.replace(/<year>\d{4}<\/year>/, '<year>1994</year>');
      expect(edited.length).toBe(before.length);
      await fsp.writeFile(nfo, edited);
      const later = await writer.write(job({ file_path: rel, title: 'Heat', year: 1997, tmdb_id: null }));
      expect(later.written).toEqual([]);
      expect(await fsp.readFile(nfo, 'utf8')).toBe(edited);
    } finally {
      mode = 'nfo+art';
    }
  });

  it('an episode: episode NFO, tvshow.nfo, show art, season poster and thumb; artwork already there is kept', async () => {
    const rel = 'Series/Dark/Season 01/Dark - S01E01 - Secrets.mkv';
    await place(rel, 'video');
    await place('Series/Dark/fanart.jpg', 'my own fanart');
    const report = await writer.write(job({ file_path: rel, title: 'Dark', content_type: 'series', show: 'Dark', season: 1, episode: 1, tmdb_id: 70523, year: 2017 }));
    expect(report.failed).toEqual([]);
    expect(report.kept).toEqual(['Series/Dark/fanart.jpg']);
    expect(await listFiles(path.join(root(), 'Series'))).toEqual([
      'Dark/Season 01/Dark - S01E01 - Secrets-thumb.jpg',
      'Dark/Season 01/Dark - S01E01 - Secrets.mkv',
      'Dark/Season 01/Dark - S01E01 - Secrets.nfo',
      'Dark/fanart.jpg',
      'Dark/poster.jpg',
      'Dark/season01-poster.jpg',
      'Dark/tvshow.nfo',
    ]);
    expect(await fsp.readFile(path.join(root(), 'Series/Dark/fanart.jpg'), 'utf8')).toBe('my own fanart');
    expect((await readNfo(path.join(root(), 'Series/Dark/tvshow.nfo'))).tvshow).toMatchObject({ title: 'Dark', genre: ['Drama', 'Mystery'], uniqueid: { '#text': '70523', '@type': 'tmdb' } });
    expect((await readNfo(path.join(root(), rel.replace('.mkv', '.nfo')))).episodedetails).toEqual({
      title: 'Secrets',
      showtitle: 'Dark',
      season: '1',
      episode: '1',
      aired: '2017-12-01',
      plot: 'A boy vanishes.',
      uniqueid: { '#text': '1376380', '@type': 'tmdb', '@default': 'true' },
    });
  });
});
