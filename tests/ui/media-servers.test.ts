/**
 * The Media servers section of the Library tab in Debian's Chromium against the real app and a
 * loopback Jellyfin: add one with a path map, Test it (exact message, mapped sample path),
 * status; the destination form's NFO option; 1280 and 390 px screenshots in test-artifacts/.
 */
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeJellyfin, type FakeJellyfin } from '../fakes/jellyfin.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { artifactPath, ensurePanelBuilt, launchChromium, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let server: Server;
let baseUrl: string;
let chrome: LaunchedBrowser;
let jellyfin: FakeJellyfin;

beforeAll(async () => {
  ensurePanelBuilt();
  [chrome, jellyfin] = await Promise.all([launchChromium(), startFakeJellyfin()]);
  app = await makeTestApp({ MQTT_ENABLED: 'false' });
  server = await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
  await jellyfin?.close();
});

/** A loopback port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** How far the page scrolls sideways (the test's tsconfig has no DOM types, hence the cast). */
const sideways = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });

async function openPage(viewport: { width: number; height: number }): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await chrome.browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The form shows a 400 the test provokes on purpose; the browser logs the response too.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 400/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { ctx, page, problems };
}

describe('Media servers in the panel', () => {
  it('adds Jellyfin with a path map, tests it and shows the mapped sample path and the status', async () => {
    const { ctx, page, problems } = await openPage({ width: 1280, height: 900 });
    try {
      await page.goto(`${baseUrl}/#/library`);
      const section = page.getByRole('region', { name: 'Media servers' });
      await section.getByText('No media server yet').waitFor();
      await section.getByRole('button', { name: 'Add media server' }).click();
      const form = section.getByRole('form', { name: 'Add a media server' });
      await form.getByText('Jellyfin', { exact: true }).click();
      await form.getByLabel('Name').fill('Living room');
      await form.getByLabel('Server URL, e.g. http://192.168.1.10:8096').fill('nas:8096');
      await form.getByLabel('API key (Dashboard -> API Keys)').fill(jellyfin.apiKey);
      await form.getByRole('button', { name: 'Add a path map entry' }).click();
      await form.getByLabel('Add-on folder 1').fill(app.config.media_dir);
      await form.getByLabel('Server folder 1').fill('/data/movies');
      await form.getByRole('button', { name: 'Save' }).click();
      // The server's own validation, naming the field, shown in the form.
      await form.getByRole('alert').filter({ hasText: 'settings.url: must be an http(s) URL' }).waitFor();
      await form.getByLabel('Server URL, e.g. http://192.168.1.10:8096').fill(jellyfin.url);
      await form.getByRole('button', { name: 'Save' }).click();

      const card = section.getByRole('article', { name: 'Living room' });
      await card.waitFor();
      await expect.poll(() => card.getByTestId('ms-state').textContent()).toBe('Not checked');
      const stored = app.mediaServers.get('living-room');
      expect(stored).toMatchObject({ kind: 'jellyfin', settings: { url: jellyfin.url, api_key: jellyfin.apiKey }, path_map: [{ from: app.config.media_dir, to: '/data/movies' }] });

      await card.getByRole('button', { name: 'Test' }).click();
      const result = card.getByTestId('ms-test-result');
      await result.waitFor();
      expect(await result.textContent()).toContain('Connected to Jellyfin "living-room" 10.10.7; library "Movies" contains /data/movies/Movies/Example (2024)/Example (2024).mkv');
      expect(await result.textContent()).toContain(`Sample file ${app.config.media_dir}/Movies/Example (2024)/Example (2024).mkv is on the server /data/movies/Movies/Example (2024)/Example (2024).mkv`);
      await expect.poll(() => card.getByTestId('ms-state').textContent()).toBe('OK');
      await section.scrollIntoViewIfNeeded();
      await page.screenshot({ path: await artifactPath('media-servers-1280x900.png'), fullPage: true });

      // Editing keeps the stored key when the field is left blank.
      await card.getByRole('button', { name: 'Edit Living room' }).click();
      const editForm = section.getByRole('form', { name: 'Edit Living room' });
      expect(await editForm.getByLabel('API key (Dashboard -> API Keys)').getAttribute('placeholder')).toBe('Stored — type to replace');
      await editForm.getByLabel('Name').fill('Living room TV');
      await editForm.getByRole('button', { name: 'Save' }).click();
      await section.getByRole('article', { name: 'Living room TV' }).waitFor();
      expect(app.mediaServers.get('living-room').settings.api_key).toBe(jellyfin.apiKey);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('shows a failed test and the error status on a phone without sideways scrolling', async () => {
    const closed = await closedPort();
    await app.mediaServers.create({ name: 'Old Plex', kind: 'plex', settings: { url: `http://127.0.0.1:${closed}`, token: 'x' } });
    const { ctx, page, problems } = await openPage({ width: 390, height: 844 });
    try {
      await page.goto(`${baseUrl}/#/library`);
      const card = page.getByRole('article', { name: 'Old Plex' });
      await card.getByRole('button', { name: 'Test' }).click();
      const result = card.getByTestId('ms-test-result');
      await result.waitFor();
      expect(await result.textContent()).toContain(`Plex at http://127.0.0.1:${closed} cannot be reached (ECONNREFUSED): check the URL and that the server is running`);
      await expect.poll(() => card.getByTestId('ms-state').textContent()).toBe('Error');
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      await card.scrollIntoViewIfNeeded();
      await page.screenshot({ path: await artifactPath('media-servers-390x844.png') });
      // The add form on a phone.
      await page.getByRole('region', { name: 'Media servers' }).getByRole('button', { name: 'Add media server' }).click();
      await page.getByRole('button', { name: 'Add a path map entry' }).click();
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      await page.getByRole('form', { name: 'Add a media server' }).screenshot({ path: await artifactPath('media-servers-form-390x844.png') });
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it("sets a destination's NFO and artwork option from its form", async () => {
    const { ctx, page, problems } = await openPage({ width: 1280, height: 900 });
    try {
      await page.goto(`${baseUrl}/#/library`);
      await page.getByRole('button', { name: 'Edit Media folder' }).click();
      await page.getByLabel('NFO and artwork').selectOption('nfo+art');
      await page.getByRole('button', { name: 'Save' }).first().click();
      await expect.poll(() => app.destinations.view(app.destinations.get('default')).metadata).toBe('nfo+art');
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
