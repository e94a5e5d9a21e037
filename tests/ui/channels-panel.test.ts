/**
 * The Channels view in a real browser against the real app: a channel of a synced IPTV source is
 * found by search, recorded with "Record now", shown recording in Downloads, stopped with
 * "Stop and keep", and lands in the library; "From… to…" schedules one.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { liveMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { decodeErrors } from '../helpers/media-check.js';
import { artifactPath, ensurePanelBuilt, launchChromium, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let server: Server;
let baseUrl: string;
let chrome: LaunchedBrowser;
let origin: LiveOrigin;
let list: Server;

beforeAll(async () => {
  ensurePanelBuilt();
  await liveMedia(1);
  [origin, chrome] = await Promise.all([startLiveOrigin({ segmentSeconds: 1 }), launchChromium()]);
  const xt = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + ' +0000';
  const t = Date.now();
  const guide = [
    '<tv><channel id="NewsOne.uk"><display-name>News One</display-name></channel>',
    `<programme start="${xt(t - 600_000)}" stop="${xt(t + 1_800_000)}" channel="NewsOne.uk"><title>Morning News</title></programme>`,
    `<programme start="${xt(t + 1_800_000)}" stop="${xt(t + 3_600_000)}" channel="NewsOne.uk"><title>Drama</title><episode-num system="xmltv_ns">0.1.</episode-num></programme>`,
    '</tv>',
  ].join('');
  list = http.createServer((req, res) => {
    if (req.url === '/guide.xml') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(guide);
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/x-mpegurl' });
    res.end(
      [
        `#EXTM3U x-tvg-url="http://127.0.0.1:${(list.address() as AddressInfo).port}/guide.xml"`,
        `#EXTINF:-1 tvg-id="NewsOne.uk" tvg-chno="101" group-title="News",News One HD`,
        origin.url('plain'),
        `#EXTINF:-1 tvg-id="Sport.br" tvg-chno="7" group-title="Sport",Sport Max FHD`,
        origin.url('aes'),
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((r) => list.listen(0, '127.0.0.1', r));
  app = await makeTestApp();
  server = await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const source = app.sources ? await fetch(`${baseUrl}/api/sources`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'IPTV', kind: 'm3u', url: `http://127.0.0.1:${(list.address() as AddressInfo).port}/list.m3u` }),
  }).then((r) => r.json() as Promise<{ id: string }>) : null;
  await fetch(`${baseUrl}/api/sources/${source!.id}/sync`, { method: 'POST' });
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
  await origin?.stop();
  await new Promise((r) => list?.close(r));
});

describe('Channels view', () => {
  it('finds a channel, records it now, shows it recording, stops it and files it', async () => {
    const ctx = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    try {
      await page.goto(`${baseUrl}/#/channels`);
      await page.getByRole('heading', { name: 'Channels' }).waitFor();
      await page.getByText('2 channels').waitFor();
      await page.getByLabel('Search channels').fill('news');
      await page.getByText('1 channel', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Record News One now' }).click();
      const job = await waitFor(() => app.jobs.list({ limit: 10, offset: 0 }).items.find((j) => j.title === 'News One'), 10_000, 'the job');
      expect(job.live).toEqual({ channel: 'News One' });

      await page.goto(`${baseUrl}/#/`);
      const row = page.locator('article.job[aria-label="News One"]');
      await row.getByTestId('recorded').waitFor({ timeout: 15_000 });
      await expect.poll(async () => (await row.getByTestId('recorded').textContent()) ?? '', { timeout: 15_000 }).toMatch(/Recording [3-9]s/);
      await page.screenshot({ path: await artifactPath('channels-recording.png') });
      await row.getByRole('button', { name: 'Stop and keep News One' }).click();
      await page.locator('article.job[aria-label="News One"][data-status="completed"]').waitFor({ timeout: 20_000 });
      const done = app.jobs.get(job.id) as Job;
      expect(done.recording!.ended).toBe('stopped');
      expect(await decodeErrors(`${app.config.media_dir}/${done.file_path}`)).toBe('');

      // The guide: now and next, and "Record it" schedules the next programme as an episode.
      await page.goto(`${baseUrl}/#/channels`);
      await page.getByText('Morning News').waitFor();
      await page.getByRole('button', { name: 'Record Drama on News One' }).click();
      const drama = await waitFor(() => app.jobs.list({ limit: 10, offset: 0 }).items.find((j) => j.title === 'Drama'), 10_000, 'the programme job');
      expect(drama).toMatchObject({ status: 'pending', content_type: 'series', show: 'Drama', season: 1, episode: 2 });
      await app.jobs.cancel(drama.id);
      // "Every airing": a series rule, which queues the airing (the cancelled job above does not count as recorded).
      await page.getByRole('button', { name: 'Record every Drama on News One' }).click();
      await page.getByText('Recording every “Drama” on News One (1 queued)').waitFor();
      const rules = (await (await fetch(`${baseUrl}/api/channels/rules`)).json()) as { items: Array<{ title: string }> };
      expect(rules.items.map((r) => r.title)).toEqual(['Drama']);
      for (const j of app.jobs.list({ limit: 20, offset: 0 }).items) if (j.title === 'Drama' && j.status === 'pending') await app.jobs.cancel(j.id);

      // From… to…: a scheduled recording waits with its start shown.
      await page.getByRole('button', { name: 'Record Sport Max from a time to a time' }).click();
      await page.getByRole('button', { name: 'Schedule' }).click();
      const scheduled = await waitFor(() => app.jobs.list({ limit: 10, offset: 0 }).items.find((j) => j.title === 'Sport Max'), 10_000, 'the scheduled job');
      expect(scheduled.status).toBe('pending');
      expect(Date.parse(scheduled.live!.start_at!)).toBeGreaterThan(Date.now());
      expect(Date.parse(scheduled.live!.until!) - Date.parse(scheduled.live!.start_at!)).toBe(3_600_000);
      await page.goto(`${baseUrl}/#/`);
      await page.locator('article.job[aria-label="Sport Max"]').getByText(/Recording starts/).waitFor();
      await app.jobs.cancel(scheduled.id);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
