import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embyKind } from '../../addon/mediaservers/emby.js';
import { jellyfinKind } from '../../addon/mediaservers/jellyfin.js';
import { kodiKind } from '../../addon/mediaservers/kodi.js';
import { plexKind } from '../../addon/mediaservers/plex.js';
import { MEDIA_SERVER_KINDS, mediaServerRegistry } from '../../addon/mediaservers/registry.js';
import type { MediaServerDeps } from '../../addon/mediaservers/types.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { startFakeJellyfin, type FakeJellyfin } from '../fakes/jellyfin.js';
import { startFakeKodi, type FakeKodi } from '../fakes/kodi.js';
import { startFakePlex, type FakePlex } from '../fakes/plex.js';

const deps: MediaServerDeps = { fetch: globalThis.fetch, logger: silentLogger(), now: () => Date.parse('2026-12-06T20:00:00Z'), timeoutMs: 3000 };

describe('registry', () => {
  it('holds every kind once, each with a settings schema and its secrets', () => {
    const reg = mediaServerRegistry();
    expect([...reg.keys()]).toEqual(['jellyfin', 'emby', 'plex', 'kodi']);
    for (const k of MEDIA_SERVER_KINDS) for (const s of k.secrets) expect(Object.keys((k.settings as unknown as { shape: object }).shape)).toContain(s);
  });

  it('refuses a URL with credentials or another scheme', () => {
    expect(jellyfinKind.settings.safeParse({ url: 'http://u:p@nas:8096', api_key: 'k' }).success).toBe(false);
    expect(jellyfinKind.settings.safeParse({ url: 'ftp://nas', api_key: 'k' }).success).toBe(false);
    expect(jellyfinKind.settings.parse({ url: 'http://nas:8096/', api_key: 'k' }).url).toBe('http://nas:8096');
  });
});

for (const flavour of ['jellyfin', 'emby'] as const) {
  describe(`${flavour}`, () => {
    let fake: FakeJellyfin;
    const kind = flavour === 'jellyfin' ? jellyfinKind : embyKind;
    const label = flavour === 'jellyfin' ? 'Jellyfin' : 'Emby';
    beforeAll(async () => {
      fake = await startFakeJellyfin(flavour);
    });
    afterAll(() => fake.close());

    it('tests: names the server and the library containing the sample path', async () => {
      const s = kind.create({ url: fake.url, api_key: fake.apiKey }, deps);
      const out = await s.test('/data/movies/X (2020)/X (2020).mkv');
      expect(out.message).toBe(`Connected to ${label} "living-room" ${flavour === 'jellyfin' ? '10.10.7' : '4.8.10.0'}; library "Movies" contains /data/movies/X (2020)/X (2020).mkv`);
      expect(out.covered).toBe(true);
      expect(s.status()).toMatchObject({ state: 'ok', last_check_at: '2026-12-06T20:00:00.000Z' });
      const uncovered = await s.test('/media/library/X.mkv');
      expect(uncovered.covered).toBe(false);
      expect(uncovered.message).toContain('no library contains /media/library/X.mkv (library folders: /data/movies, /data/tv): add a path_map entry');
    });

    it('refreshes the changed folders with one Media/Updated call', async () => {
      const s = kind.create({ url: fake.url, api_key: fake.apiKey }, deps);
      const out = await s.refresh(['/data/movies/A (2001)', '/data/tv/Show/Season 01']);
      expect(out.method).toBe('path');
      expect(fake.updates.at(-1)).toEqual(['/data/movies/A (2001)', '/data/tv/Show/Season 01']);
      const last = fake.requests.at(-1)!;
      expect(JSON.parse(last.body)).toEqual({ Updates: [{ Path: '/data/movies/A (2001)', UpdateType: 'Created' }, { Path: '/data/tv/Show/Season 01', UpdateType: 'Created' }] });
      // Only the current auth header: no legacy token headers, no key in the URL.
      if (flavour === 'jellyfin') {
        expect(last.headers.authorization).toBe(`MediaBrowser Token="${fake.apiKey}"`);
        expect(last.headers['x-emby-token']).toBeUndefined();
      } else {
        expect(last.headers['x-emby-token']).toBe(fake.apiKey);
      }
      expect(Object.keys(last.query)).toEqual([]);
      expect(fake.protocolErrors).toEqual([]);
    });

    it('falls back to a full library refresh when the per-path call is refused', async () => {
      const s = kind.create({ url: fake.url, api_key: fake.apiKey }, deps);
      fake.mediaUpdatedStatus = 404;
      const before = fake.fullRefreshes;
      try {
        expect((await s.refresh(['/data/movies/B'])).method).toBe('library');
      } finally {
        fake.mediaUpdatedStatus = null;
      }
      expect(fake.fullRefreshes).toBe(before + 1);
    });

    it('a wrong key: auth error, no fallback, status error', async () => {
      const s = kind.create({ url: fake.url, api_key: 'wrong' }, deps);
      const before = fake.fullRefreshes;
      const err = (await s.refresh(['/data/movies/B']).catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe('mediaserver_auth_failed');
      expect(err.message).toBe(`${label} at ${fake.url} refused the credentials (HTTP 401): check the API key or token and that it may manage libraries`);
      expect(fake.fullRefreshes).toBe(before);
      expect(s.status()).toMatchObject({ state: 'error', code: 'mediaserver_auth_failed' });
    });
  });
}

describe('plex', () => {
  let fake: FakePlex;
  beforeAll(async () => {
    fake = await startFakePlex();
  });
  afterAll(() => fake.close());

  it('tests: version and the section containing the sample path', async () => {
    const s = plexKind.create({ url: fake.url, token: fake.token }, deps);
    const out = await s.test('/mnt/extra/tv/Show/Season 01/e.mkv');
    expect(out).toMatchObject({ version: '1.41.3.9314-a0bfb8370', library: 'TV Shows', covered: true });
    expect(out.message).toBe('Connected to Plex 1.41.3.9314-a0bfb8370; library "TV Shows" contains /mnt/extra/tv/Show/Season 01/e.mkv');
  });

  it('refreshes the section containing each folder with ?path=, token in a header only', async () => {
    const s = plexKind.create({ url: fake.url, token: fake.token }, deps);
    fake.refreshes.length = 0;
    const out = await s.refresh(['/data/movies/Film (2020)', '/data/tv/Show (2019)/Season 02']);
    expect(out.method).toBe('path');
    expect(fake.refreshes).toEqual([
      { section: '1', path: '/data/movies/Film (2020)' },
      { section: '2', path: '/data/tv/Show (2019)/Season 02' },
    ]);
    const refresh = fake.requests.filter((r) => r.path.endsWith('/refresh')).at(-1)!;
    expect(refresh.headers['x-plex-token']).toBe(fake.token);
    expect(refresh.query['X-Plex-Token']).toBeUndefined();
    expect(fake.protocolErrors).toEqual([]);
  });

  it('a folder no section contains: scans the movie and show sections whole (not music)', async () => {
    const s = plexKind.create({ url: fake.url, token: fake.token }, deps);
    fake.refreshes.length = 0;
    const out = await s.refresh(['/media/unmapped/X']);
    expect(out.method).toBe('library');
    expect(fake.refreshes).toEqual([
      { section: '1', path: null },
      { section: '2', path: null },
    ]);
  });

  it('a wrong token is an auth error', async () => {
    const s = plexKind.create({ url: fake.url, token: 'nope' }, deps);
    await expect(s.test('/data/movies/x.mkv')).rejects.toMatchObject({ code: 'mediaserver_auth_failed' });
  });
});

describe('kodi', () => {
  let fake: FakeKodi;
  beforeAll(async () => {
    fake = await startFakeKodi();
  });
  afterAll(() => fake.close());
  const settings = () => ({ url: fake.url, username: fake.username, password: fake.password });

  it('tests: ping, then the video source containing the sample path', async () => {
    const s = kodiKind.create(settings(), deps);
    const out = await s.test('smb://nas/tv/Show/Season 01/e.mkv');
    expect(out.message).toBe('Connected to Kodi; video source "TV" contains smb://nas/tv/Show/Season 01/e.mkv');
    const calls = fake.requests.map((r) => JSON.parse(r.body) as { method: string; jsonrpc: string });
    expect(calls.map((c) => c.method)).toEqual(['JSONRPC.Ping', 'Files.GetSources']);
    expect(calls.every((c) => c.jsonrpc === '2.0')).toBe(true);
  });

  it('scans each folder with a trailing separator and no dialogs', async () => {
    const s = kodiKind.create(settings(), deps);
    fake.scans.length = 0;
    await s.refresh(['/storage/movies/Film (2020)', 'smb://nas/tv/Show/Season 01']);
    expect(fake.scans).toEqual(['/storage/movies/Film (2020)/', 'smb://nas/tv/Show/Season 01/']);
    const body = JSON.parse(fake.requests.at(-1)!.body);
    expect(body).toEqual({ jsonrpc: '2.0', method: 'VideoLibrary.Scan', params: { directory: 'smb://nas/tv/Show/Season 01/', showdialogs: false }, id: expect.any(Number) });
    expect(fake.protocolErrors).toEqual([]);
  });

  it('a folder outside every source: Kodi refuses it, the whole library is scanned instead', async () => {
    const s = kodiKind.create(settings(), deps);
    fake.scans.length = 0;
    expect((await s.refresh(['/elsewhere/X'])).method).toBe('library');
    expect(fake.scans).toEqual([null]);
  });

  it('sends a login only when a password is set (the user defaults to kodi)', async () => {
    const open = kodiKind.create({ url: fake.url, username: 'kodi' }, deps);
    await expect(open.test('/storage/movies/a.mkv')).rejects.toMatchObject({ code: 'mediaserver_auth_failed' }); // this fake wants one
    expect(fake.requests.at(-1)!.headers.authorization).toBeUndefined();
    await kodiKind.create({ url: fake.url, password: fake.password }, deps).test('/storage/movies/a.mkv');
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`kodi:${fake.password}`).toString('base64')}`);
  });

  it('a wrong password is an auth error; a stopped Kodi is unreachable', async () => {
    await expect(kodiKind.create({ ...settings(), password: 'x' }, deps).test('/storage/movies/a.mkv')).rejects.toMatchObject({ code: 'mediaserver_auth_failed' });
    await fake.down();
    try {
      const err = await kodiKind.create(settings(), deps).refresh(["/storage/movies/a"]).catch((e: unknown) => e);
      expect((err as { code: string }).code).toBe('mediaserver_unreachable');
      expect((err as Error).message).toBe(`Kodi at ${fake.url} cannot be reached (ECONNREFUSED): check the URL and that the server is running`);
    } finally {
      await fake.up();
    }
  });
});
