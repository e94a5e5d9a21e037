/** The job card in Chromium: cancel asks first. */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { ensurePanelBuilt, launchChromium, startPanelApp, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let baseUrl: string;
let chrome: LaunchedBrowser;

beforeAll(async () => {
  ensurePanelBuilt();
  chrome = await launchChromium();
  ({ app, baseUrl } = await startPanelApp({}, { http: hangingHttp() }));
});
afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
});

describe('job card', () => {
  it('Cancel asks before it throws a download away; dismissing keeps it running', async () => {
    const job = app.jobs.create({ url: 'https://cdn.example/never.m3u8', title: 'Long film' });
    await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined), 10_000, 'the download to start');
    const ctx = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    try {
      await page.goto(baseUrl);
      const card = page.locator('article.job[aria-label="Long film"]');
      await card.getByRole('button', { name: 'Cancel Long film' }).click();
      const dialog = page.getByRole('dialog', { name: 'Cancel this download?' });
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      expect(app.jobs.get(job.id).status).toBe('downloading');
      await card.getByRole('button', { name: 'Cancel Long film' }).click();
      await dialog.getByRole('button', { name: 'Cancel download' }).click();
      await waitFor(() => (app.jobs.get(job.id).status === 'cancelled' ? true : undefined), 10_000, 'the cancel');
      await expect.poll(() => card.getByTestId('job-state').textContent()).toMatch(/Cancelled/i);
    } finally {
      await ctx.close();
    }
  });
});

describe('finished files', () => {
  it('plays a completed download in the panel and offers the file, through a signed link', async () => {
    const { ensureFixtures } = await import('../fixtures/media.js');
    const { startHlsOrigin } = await import('../fakes/hls-origin.js');
    const fx = await ensureFixtures();
    const origin = await startHlsOrigin();
    const real = await makeTestApp();
    const realServer = await real.listen(0, '127.0.0.1');
    const realUrl = `http://127.0.0.1:${(realServer.address() as AddressInfo).port}`;
    const ctx = await chrome.browser.newContext({ viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    try {
      const job = real.jobs.create({ url: origin.url(fx.scenarios.plain.playlist), title: 'Clip' });
      await waitFor(() => (real.jobs.get(job.id).status === 'completed' ? true : undefined), 60_000, 'the download');
      await page.goto(realUrl);
      const card = page.locator('article.job[aria-label="Clip"]');
      await card.getByRole('button', { name: 'Play Clip' }).click();
      const player = page.getByRole('dialog', { name: 'Play Clip' });
      await player.waitFor();
      // The browser reads the file through the signed link and knows its length: it plays.
      await expect.poll(() => player.locator('video').evaluate((v) => (v as unknown as { readyState: number; duration: number }).readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
      const duration = await player.locator('video').evaluate((v) => (v as unknown as { duration: number }).duration);
      expect(duration).toBeCloseTo(fx.scenarios.plain.durationSec, 0);
      // And seeks: the MP4's index is at the front (room reserved for it, no +faststart pass).
      const seekedTo = await player.locator('video').evaluate(
        (v) =>
          new Promise<number>((resolve) => {
            const video = v as unknown as { currentTime: number; duration: number; addEventListener(e: string, f: () => void, o?: object): void };
            video.addEventListener('seeked', () => resolve(video.currentTime), { once: true });
            video.currentTime = video.duration / 2;
          }),
      );
      expect(seekedTo).toBeCloseTo(duration / 2, 0);
      await player.getByRole('button', { name: 'Close' }).click();
      const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Download the file of Clip' }).click()]);
      expect(download.suggestedFilename()).toBe('Clip.mp4');
    } finally {
      await ctx.close();
      await real.dispose();
      await origin.close();
    }
  });
});

describe('editing a download', () => {
  it('the Edit dialog changes title and priority of a queued download on the server', async () => {
    await app.jobs.pauseQueue();
    const job = app.jobs.create({ url: 'https://cdn.example/queued.m3u8', title: 'queued one' });
    const ctx = await chrome.browser.newContext({ viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    try {
      await page.goto(baseUrl);
      await page.locator('article.job[aria-label="queued one"]').getByRole('button', { name: 'Edit queued one' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit queued one' });
      await dialog.getByLabel('Title', { exact: true }).fill('Cidade de Deus');
      await dialog.getByRole('combobox', { name: 'Priority', exact: true }).selectOption('high');
      await dialog.getByRole('combobox', { name: 'Type', exact: true }).selectOption('movie');
      await dialog.getByLabel('Year').fill('2002');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => app.jobs.get(job.id).title).toBe('Cidade de Deus');
      expect(app.jobs.get(job.id)).toMatchObject({ priority: 'high', content_type: 'movie', year: 2002 });
      await page.locator('article.job[aria-label="Cidade de Deus"]').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
      await app.jobs.resumeQueue();
    }
  });
});
