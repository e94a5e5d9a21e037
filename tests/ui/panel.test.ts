/**
 * The panel in a real browser (Debian's Chromium via playwright-core) against the real app and
 * a loopback HLS origin. Screenshots land in test-artifacts/ (gitignored).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import type { SettingsView } from '../../addon/ops/settings.js';
import type { SourceView, SyncRecord } from '../../addon/sources/model.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { startFakeProvider, type FakeProvider } from '../fakes/iptv-provider.js';
import { buildLargeHls, ensureFixtures, type Fixtures, type LargeHls } from '../fixtures/media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { fakeSources } from './fake-sources.js';
import { artifactPath, ensurePanelBuilt, launchChromium, startIngressProxy, type LaunchedBrowser } from './harness.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let fx: Fixtures;
let large: LargeHls;
let origin: HlsOrigin;
let slow: HlsOrigin;
let app: TestApp;
let server: Server;
let baseUrl: string;
let chrome: LaunchedBrowser;

beforeAll(async () => {
  ensurePanelBuilt();
  [fx, large] = await Promise.all([ensureFixtures(), buildLargeHls(path.join(os.tmpdir(), 'm3udl-ui-fixture'), { seconds: 30, segmentSeconds: 1, bitrate: 1_000_000 })]);
  [origin, slow, chrome] = await Promise.all([
    startHlsOrigin(),
    // Slow enough that a download is still running while the test pauses it.
    startHlsOrigin({ root: large.dir, perConnectionBytesPerSec: 60_000 }),
    launchChromium(),
  ]);
  app = await makeTestApp({ SEGMENT_CONCURRENCY: '2', MAX_CONCURRENT_DOWNLOADS: '2' });
  server = await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
  await Promise.all([origin?.close(), slow?.close()]);
});

/** A page that fails the test on script errors and CSP violations. */
async function openPage(viewport: { width: number; height: number }, options: { dark?: boolean } = {}): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await chrome.browser.newContext({ viewport, colorScheme: options.dark ? 'dark' : 'light', deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    // A 404 from an API another issue has not added yet is expected; anything else is not.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 404/.test(text)) problems.push(`console: ${text}`);
  });
  return { ctx, page, problems };
}

async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${p}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : null });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const card = (page: Page, title: string) => page.locator(`article.job[aria-label="${title}"]`);

describe('the panel', () => {
  it('is served by the app at / with its assets', async () => {
    const res = await fetch(`${baseUrl}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<base href="./">');
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${baseUrl}/${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  it('adds a download from the form, fills the title from a pasted URL, and shows it completing', async () => {
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      await page.goto(baseUrl);
      await page.getByRole('status').filter({ hasText: 'No downloads yet' }).waitFor();
      const url = page.getByPlaceholder('Paste a video or .m3u8 URL');
      const title = page.locator('#add-title');
      // The server's suggested title fills the title field once the pasted URL is checked
      // (the rule itself: tests/titles/title-rule.test.ts; the form: tests/ui/add-form.test.ts).
      await url.fill(origin.url(fx.scenarios.plain.playlist));
      await expect.poll(() => title.inputValue()).not.toBe('');
      // A bad address is refused at the field, in words.
      await url.fill('not a url');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByText('This is not a web address').waitFor();
      expect(await url.getAttribute('aria-invalid')).toBe('true');

      await url.fill(origin.url(fx.scenarios.plain.playlist));
      await title.fill('Big Buck Bunny (2008)');
      await page.getByRole('button', { name: 'More options' }).click();
      await page.locator('#add-content_type').selectOption('movie'); // by id: the destination select's options mention the content type too
      await page.getByLabel('Year').fill('2008');
      await page.getByRole('radio', { name: 'High' }).check();
      await page.getByLabel('Subtitles', { exact: true }).fill('pt-BR, en');
      await page.locator('#add-subtitles_as').selectOption('sidecar');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await card(page, 'Big Buck Bunny (2008)').waitFor();
      await page.locator('article.job[aria-label="Big Buck Bunny (2008)"][data-status="completed"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => card(page, 'Big Buck Bunny (2008)').getByTestId('job-state').textContent()).toBe('Completed');
      expect(await card(page, 'Big Buck Bunny (2008)').textContent()).toMatch(/Big Buck Bunny \(2008\)\.mp4/);
      expect(await url.inputValue()).toBe('');
      const jobs = await api<{ items: Job[] }>('GET', '/api/downloads');
      const added = jobs.items.find((j) => j.title === 'Big Buck Bunny (2008)');
      expect(added).toMatchObject({ status: 'completed', content_type: 'movie', year: 2008, priority: 'high', subtitle_languages: ['pt-BR', 'en'], subtitles_as: 'sidecar' });
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('pauses and resumes a running download', async () => {
    const job = await api<Job>('POST', '/api/downloads', { url: slow.url('index.m3u8'), title: 'The Boys S04E08' });
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      await page.goto(baseUrl);
      const row = card(page, 'The Boys S04E08');
      await page.locator('article.job[aria-label="The Boys S04E08"][data-status="downloading"]').waitFor({ timeout: 15_000 });
      await row.getByRole('button', { name: 'Pause The Boys S04E08' }).click();
      await page.locator('article.job[aria-label="The Boys S04E08"][data-status="paused"]').waitFor({ timeout: 10_000 });
      expect(app.jobs.get(job.id).status).toBe('paused');
      await row.getByRole('button', { name: 'Resume The Boys S04E08' }).click();
      await page.locator('article.job[aria-label="The Boys S04E08"][data-status="downloading"]').waitFor({ timeout: 10_000 });
      await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined), 10_000, 'resumed download');
      // The progress bar moves again after the resume (live over server-sent events).
      const before = Number(await row.getByRole('progressbar').getAttribute('aria-valuenow'));
      await expect.poll(async () => Number(await row.getByRole('progressbar').getAttribute('aria-valuenow')), { timeout: 15_000 }).toBeGreaterThan(before);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('works under a Home Assistant ingress prefix without a request escaping it', async () => {
    const proxy = await startIngressProxy(baseUrl);
    const { ctx, page, problems } = await openPage(PHONE);
    const outside: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(`${proxy.prefixUrl}/`) && !req.url().startsWith('data:')) outside.push(req.url());
    });
    try {
      await page.goto(`${proxy.prefixUrl}/`);
      await page.locator('.conn.live').waitFor();
      // Adding a download goes through the prefix too, and its events arrive over the proxied stream.
      await page.getByPlaceholder('Paste a video or .m3u8 URL').fill(origin.url(fx.scenarios.plain.playlist));
      await page.locator('#add-title').fill('Through ingress');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.locator('article.job[aria-label="Through ingress"][data-status="completed"]').waitFor({ timeout: 30_000 });
      // Every tab loads through the prefix as well.
      for (const tab of ['Sources', 'Library', 'Settings', 'Logs', 'Downloads']) {
        await page.getByRole('link', { name: tab }).click();
        // The event stream keeps the network busy, so wait for the view's own requests to settle.
        await page.getByRole('main').getByText('Loading', { exact: false }).first().waitFor({ state: 'hidden' }).catch(() => undefined);
        await page.waitForTimeout(300);
      }
      // A deep link (a reload on another path) still finds its assets.
      await page.goto(`${proxy.prefixUrl}/some/deep/link`);
      await card(page, 'Through ingress').waitFor();
      expect(proxy.escaped).toEqual([]);
      expect(outside).toEqual([]);
      expect(proxy.seen.some((p) => p.startsWith(`${proxy.prefix}/api/events`))).toBe(true);
      expect(proxy.seen.some((p) => p.startsWith(`${proxy.prefix}/assets/`))).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
      await proxy.close();
    }
  });

  it('reviews a real M3U source synced from a provider and queues two items through the real API', async () => {
    const provider: FakeProvider = await startFakeProvider();
    const base = provider.baseUrl;
    const entry = (group: string, title: string, p: string): string => `#EXTINF:-1 tvg-logo="" group-title="${group}",${title}\n${base}${p}`;
    provider.list = [
      '#EXTM3U',
      entry('Filmes | Ação', 'The Matrix (1999) 1080p', '/movie/u/p/1001.mp4'),
      entry('Filmes | Ação', 'The Matrix Reloaded (2003) 1080p', '/movie/u/p/1002.mp4'),
      entry('Filmes | Drama', 'Cidade de Deus (2002) 720p', '/movie/u/p/1003.mp4'),
      entry('Filmes | Drama', 'Central do Brasil (1998) 720p', '/movie/u/p/1004.mp4'),
      entry('Séries | Netflix', 'Round 6 S02E03', '/series/u/p/2001.mp4'),
      entry('Séries | Netflix', 'Round 6 S02E04', '/series/u/p/2002.mp4'),
      entry('NOVELAS', 'Avenida Brasil Cap 102', '/series/u/p/3001.mp4'),
      '',
    ].join('\n');
    const source = await api<SourceView>('POST', '/api/sources', { name: 'My IPTV provider', kind: 'm3u', url: `${base}/list.m3u` });
    const proxy = await startIngressProxy(baseUrl);
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      const sync = await api<SyncRecord>('POST', `/api/sources/${source.id}/sync`);
      expect(sync.status).toBe('completed');
      await page.goto(`${proxy.prefixUrl}/#/sources`);
      const card = page.getByRole('article', { name: 'My IPTV provider' });
      await card.getByText('Synced').waitFor();
      await card.getByRole('link', { name: 'Review' }).click();
      const table = page.getByRole('table');
      await table.getByRole('row').nth(3).getByRole('checkbox').waitFor();
      const total = Number(await table.getAttribute('aria-rowcount')) - 1;
      expect(total).toBe(7);
      // Search runs on the server against the real catalogue; pick both Matrix films and queue them.
      await page.getByPlaceholder('Search titles').fill('Matrix');
      await expect.poll(async () => Number(await table.getAttribute('aria-rowcount')) - 1).toBe(2);
      const rows = table.getByRole('row');
      await rows.nth(1).getByRole('checkbox').check();
      await rows.nth(2).getByRole('checkbox').check();
      await page.getByText('2 selected').waitFor();
      await page.getByRole('button', { name: 'Download selected' }).click();
      await page.getByRole('status').filter({ hasText: 'Queued 2 downloads.' }).first().waitFor();
      expect(proxy.seen).toContain(`${proxy.prefix}/api/sources/${source.id}/downloads`);
      const jobs = (await api<{ items: Job[] }>('GET', '/api/downloads?limit=200')).items.filter((j) => j.source_id === source.id);
      expect(jobs.map((j) => j.title).sort()).toEqual(['The Matrix (1999)', 'The Matrix Reloaded (2003)']);
      expect(jobs.every((j) => j.content_type === 'movie')).toBe(true);
      expect(problems).toEqual([]);
      expect(proxy.escaped).toEqual([]);
      for (const j of jobs) await api('DELETE', `/api/downloads/${j.id}`).catch(() => undefined);
    } finally {
      await ctx.close();
      await proxy.close();
      await api('DELETE', `/api/sources/${source.id}`).catch(() => undefined);
      await provider.close();
    }
  });

  it('keeps the review of a 50,000-item catalogue paged and virtualised', async () => {
    // A fake sources API in the proxy: a real 50,000-item sync would measure the sync, not the table.
    const fake = fakeSources(50_000);
    const proxy = await startIngressProxy(baseUrl, { intercept: fake.intercept });
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      await page.goto(`${proxy.prefixUrl}/#/sources/src1`);
      const table = page.getByRole('table');
      await table.getByRole('row').nth(3).getByRole('checkbox').waitFor();
      const total = Number(await table.getAttribute('aria-rowcount')) - 1;
      expect(total).toBeGreaterThan(30_000);
      // Only the rows on screen are in the DOM, and only the pages they need were fetched.
      expect(await table.getByRole('row').count()).toBeLessThan(60);
      expect(fake.pages.length).toBeLessThanOrEqual(2);
      await page.screenshot({ path: await artifactPath('review-1280x800.png') });
      // Jump to the end: the last rows arrive from the server.
      await page.getByTestId('review-viewport').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.locator(`[role="row"][aria-rowindex="${total + 1}"] input[type="checkbox"]`).waitFor();
      expect(fake.pages.some((p) => p.offset >= total - 100)).toBe(true);
      expect(await table.getByRole('row').count()).toBeLessThan(60);
      expect(problems).toEqual([]);
      expect(proxy.escaped).toEqual([]);

      await page.setViewportSize(PHONE);
      await page.getByTestId('review-viewport').evaluate((el) => (el.scrollTop = 0));
      await table.getByRole('row').nth(3).getByRole('checkbox').waitFor();
      // Every status filter is fully on screen at 390 px (none hidden past the edge).
      for (const button of await page.getByRole('group', { name: 'Show' }).getByRole('button').all()) {
        const box = (await button.boundingBox())!;
        expect(box.x, await button.textContent() ?? '').toBeGreaterThanOrEqual(0);
        expect(box.x + box.width, await button.textContent() ?? '').toBeLessThanOrEqual(PHONE.width);
      }
      await page.screenshot({ path: await artifactPath('review-390x844.png') });
    } finally {
      await ctx.close();
      await proxy.close();
    }
  });

  it('changes concurrency and naming templates in Settings, applied by the server at once', async () => {
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      await page.goto(`${baseUrl}/#/settings`);
      const form = page.getByRole('form', { name: 'Download settings' });
      const atOnce = form.getByLabel('Downloads at once');
      await expect.poll(() => atOnce.inputValue()).toBe('2');
      await atOnce.fill('4');
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Settings saved' }).first().waitFor();
      expect(app.jobs.options.maxConcurrent).toBe(4);
      expect((await api<SettingsView>('GET', '/api/settings')).max_concurrent_downloads).toBe(4);
      await form.getByText('Changed here; the add-on option is 2.').waitFor();
      await page.screenshot({ path: await artifactPath('settings-1280x800.png'), fullPage: true });
      // Reset brings back the add-on option.
      await form.getByRole('button', { name: 'Reset' }).click();
      await expect.poll(() => atOnce.inputValue()).toBe('2');
      expect(app.jobs.options.maxConcurrent).toBe(2);

      // Naming: the preview comes from the server's renderer, problems in words, saved on the default destination.
      const naming = page.getByRole('form', { name: 'Naming templates' });
      const movies = naming.getByLabel('Naming: movies');
      await expect.poll(() => page.getByTestId('preview-movie').textContent()).toContain('Movies/Dune Part Two (2024)/Dune Part Two (2024).mkv');
      await movies.fill('Films/{titel}.{ext}');
      await expect.poll(() => page.getByTestId('preview-movie').textContent()).toMatch(/titel/);
      await movies.fill('Films/{title} [({year})].{ext}');
      await expect.poll(() => page.getByTestId('preview-movie').textContent()).toContain('Films/Dune Part Two (2024).mkv');
      await naming.getByRole('button', { name: 'Save templates' }).click();
      await page.getByRole('status').filter({ hasText: 'Naming templates saved' }).first().waitFor();
      expect(app.destinations.view(app.destinations.get('default')).templates.movie).toBe('Films/{title} [({year})].{ext}');
      await movies.fill('');
      await naming.getByRole('button', { name: 'Save templates' }).click();
      await expect.poll(() => app.destinations.view(app.destinations.get('default')).naming.movie).toBeUndefined();
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('adds and edits destinations with forms rendered from GET /api/destinations/kinds', async () => {
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      await page.goto(`${baseUrl}/#/library`);
      await page.getByRole('article', { name: 'Media folder' }).waitFor();
      await page.getByRole('button', { name: 'Add destination' }).click();
      const form = page.getByRole('form', { name: 'Add a destination' });
      // Every served kind is offered, with its label and help.
      for (const label of ['Local folder', 'SMB share', 'SFTP', 'rsync']) await form.getByText(label, { exact: true }).waitFor();
      await form.getByText('SMB share', { exact: true }).click();
      await form.getByLabel('Name', { exact: true }).fill('Panel NAS');
      await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
      await form.getByLabel('Share', { exact: true }).fill('media');
      await form.getByLabel('Password', { exact: true }).fill('panel-Secret-77');
      expect(await form.getByLabel('Transport', { exact: true }).count()).toBe(0); // an rsync field
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('article', { name: 'Panel NAS' }).waitFor();
      expect(app.destinations.get('panel-nas')).toMatchObject({ kind: 'smb', host: '127.0.0.1', share: 'media', password: 'panel-Secret-77', base_path: '' });

      // Edit: the secret is not shown back, an empty field keeps it; the kind's fields are filled in.
      await page.getByRole('button', { name: 'Edit Panel NAS' }).click();
      const edit = page.getByRole('form', { name: 'Edit Panel NAS' });
      expect(await edit.getByLabel('Share', { exact: true }).inputValue()).toBe('media');
      expect(await edit.getByLabel('Password', { exact: true }).inputValue()).toBe('');
      expect(await edit.getByLabel('Password', { exact: true }).getAttribute('placeholder')).toBe('Stored — type to replace');
      // rsync: the key fields appear only for the ssh transport (visibleWhen in the served schema).
      await edit.getByText('rsync', { exact: true }).click();
      expect(await edit.getByLabel('Transport', { exact: true }).inputValue()).toBe('daemon');
      expect(await edit.getByLabel('Private key', { exact: true }).count()).toBe(0);
      await edit.getByLabel('Transport', { exact: true }).selectOption('ssh');
      await edit.getByLabel('Private key', { exact: true }).waitFor();
      await edit.getByLabel('Transport', { exact: true }).selectOption('daemon');
      await edit.getByLabel(/^Module and folder/).fill('media/library');
      await edit.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => app.destinations.get('panel-nas').kind).toBe('rsync');
      expect(app.destinations.get('panel-nas')).toMatchObject({ host: '127.0.0.1', transport: 'daemon', base_path: 'media/library', password: 'panel-Secret-77' });
      expect(app.destinations.get('panel-nas')).not.toHaveProperty('share');
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
      await app.destinations.remove('panel-nas').catch(() => undefined);
    }
  });

  it('shows clear states for what is not available yet, and takes screenshots', async () => {
    // A queue with every kind of row: running, queued, paused, failed, completed.
    const broken = await api<Job>('POST', '/api/downloads', { url: origin.url('nothing-here/gone.m3u8'), title: 'Old link that moved', priority: 'high' });
    await waitFor(() => (app.jobs.get(broken.id).status === 'failed' ? true : undefined), 15_000, 'failed job');
    const running = await api<Job>('POST', '/api/downloads', { url: slow.url('index.m3u8'), title: 'Avenida Brasil Cap 102', priority: 'high' });
    await api<Job>('POST', '/api/downloads', { url: slow.url('index.m3u8'), title: 'Nature Documentary (2023)', quality: '720p' });
    const queued = await api<Job>('POST', '/api/downloads', { url: slow.url('index.m3u8'), title: 'Conference keynote', priority: 'low' });
    await waitFor(() => (app.jobs.get(running.id).segments_done >= 2 ? true : undefined), 15_000, 'progress');
    expect(app.jobs.list({ status: 'pending', limit: 10, offset: 0 }).total).toBeGreaterThan(0);

    for (const [name, viewport, dark] of [
      ['downloads-1280x800.png', DESKTOP, false],
      ['downloads-390x844.png', PHONE, false],
      ['downloads-dark-1280x800.png', DESKTOP, true],
      ['downloads-dark-390x844.png', PHONE, true],
    ] as const) {
      const { ctx, page, problems } = await openPage(viewport, { dark });
      try {
        await page.goto(baseUrl);
        await page.locator('article.job[aria-label="Old link that moved"][data-status="failed"]').waitFor();
        await page.locator('.conn.live').waitFor();
        await page.screenshot({ path: await artifactPath(name) });
        if (name === 'downloads-1280x800.png') await page.screenshot({ path: await artifactPath('downloads-full-1280.png'), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await ctx.close();
      }
    }

    const { ctx, page, problems } = await openPage(PHONE);
    try {
      await page.goto(baseUrl);
      // Keyboard: the URL field is reachable and the failed job says why, in words.
      await expect.poll(() => page.locator('article.job[aria-label="Old link that moved"] .error-text').textContent()).toMatch(/404|not found/i);
      await page.getByRole('button', { name: 'More options' }).click();
      await page.getByLabel('Referer').waitFor();
      await page.screenshot({ path: await artifactPath('add-options-390x844.png'), fullPage: false });
      for (const [hash, expected, shot] of [
        ['#/sources', /Playlist sources are not available yet|No playlist sources yet|Playlist sources/, 'sources'],
        ['#/library', /Library destinations are not available yet|Files stay in the media folder|Library destinations/, 'library'],
        ['#/settings', /This add-on/, 'settings'],
        ['#/logs', /not available|Nothing has happened yet|Logs/, 'logs'],
      ] as const) {
        await page.goto(`${baseUrl}/${hash}`);
        await page.getByRole('main').getByText(expected).first().waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: await artifactPath(`${shot}-390x844.png`) });
      }
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
    for (const id of [running.id, queued.id]) await api('POST', `/api/downloads/${id}/cancel`).catch(() => undefined);
  });
  // Last: an API key ends "local admin" trust, which the tests above rely on (it is revoked after).
  it('hides the write buttons a viewer cannot use', async () => {
    const key = await app.auth.createKey({ name: 'viewer', role: 'viewer' }, 'test');
    const { ctx, page, problems } = await openPage(PHONE);
    try {
      await ctx.addInitScript(`localStorage.setItem('m3udl.apiKey', ${JSON.stringify(key.key)})`);
      await page.goto(baseUrl);
      await page.locator('article.job').first().waitFor();
      expect(await page.getByPlaceholder('Paste a video or .m3u8 URL').count()).toBe(0);
      // Reading is allowed: Play and Download on finished files stay; no button that changes anything.
      expect(await page.locator('article.job button:not([aria-label^="Play "]):not([aria-label^="Download the file of "])').count()).toBe(0);
      expect(await page.getByRole('button', { name: /Pause queue|Resume queue/ }).count()).toBe(0);
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByText('Download settings are shown to operators and admins.').waitFor();
      await expect.poll(() => page.getByTestId('preview-series').textContent()).toContain('S04E08');
      expect(await page.getByRole('button', { name: /Save|Send test|Create key/ }).count()).toBe(0);
      await page.getByRole('link', { name: 'Library' }).click();
      await page.getByRole('article', { name: 'Media folder' }).waitFor();
      expect(await page.getByRole('button', { name: /Add destination|Test connection|Edit|Delete/ }).count()).toBe(0);
      await page.getByRole('link', { name: 'Sources' }).click();
      await page.getByRole('main').getByText(/No playlist sources yet|Playlist sources/).first().waitFor();
      expect(await page.getByRole('button', { name: /Add source|Sync now/ }).count()).toBe(0);
      // No request was refused: the panel never offered what the role cannot do.
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
      await app.auth.revokeKey(key.id);
    }
  });
});
