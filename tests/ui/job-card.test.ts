/** The job card in Chromium: cancel asks first. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { ensurePanelBuilt, launchChromium, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let server: Server;
let baseUrl: string;
let chrome: LaunchedBrowser;

beforeAll(async () => {
  ensurePanelBuilt();
  chrome = await launchChromium();
  app = await makeTestApp({}, { http: hangingHttp() });
  server = await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
