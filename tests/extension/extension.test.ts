/**
 * The browser extension in Debian's Chromium, as a user runs it: options page, a page that plays
 * a protected HLS stream, the popup, Send, and the file in the library; the context-menu path for
 * a plain file; a DASH manifest; the options page's messages for a wrong key and a server that is down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../extension/src/messages.js';
import { PAGE_TITLE, PLAYER_TOKEN, startProtectedPlayer, type ProtectedPlayer } from '../fakes/protected-player.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { probe } from '../helpers/media-check.js';
import { artifactPath, ensurePanelBuilt } from '../ui/harness.js';
import { ensureExtensionBuilt, launchWithExtension, type LoadedExtension } from './harness.js';

const ADMIN_KEY = 'admin-key-for-the-panel-0123456789';

describe('browser extension in Chromium', () => {
  let player: ProtectedPlayer;
  let app: TestApp;
  let server: Server;
  let serverUrl: string;
  let apiKey: string;
  let ext: LoadedExtension;

  beforeAll(async () => {
    ensureExtensionBuilt();
    ensurePanelBuilt();
    [player, app] = await Promise.all([startProtectedPlayer(), makeTestApp({ API_KEY: ADMIN_KEY })]);
    server = await app.listen(0, '127.0.0.1');
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ext = await launchWithExtension();
  });
  afterAll(async () => {
    await ext?.close();
    await app?.dispose();
    await player?.close();
  });

  async function tabIdOf(url: string): Promise<number> {
    return waitFor(() => ext.worker.evaluate(async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id, url), 10_000, `the tab of ${url}`);
  }

  async function openPopupFor(tabId: number): Promise<Page> {
    const popup = await ext.context.newPage();
    await popup.setViewportSize({ width: 360, height: 560 });
    await popup.goto(`chrome-extension://${ext.id}/popup.html?tab=${tabId}`);
    return popup;
  }

  async function play(path: string): Promise<{ page: Page; tabId: number }> {
    const page = await ext.context.newPage();
    await page.goto(player.url(path));
    await page.waitForSelector('body[data-played]', { state: 'attached' });
    expect(await page.locator('body').getAttribute('data-played')).toBe('yes');
    return { page, tabId: await tabIdOf(player.url(path)) };
  }

  it('pairs through the panel\'s "Connect a browser" dialog: an operator key and the address to paste', async () => {
    const panel = await ext.context.newPage();
    // The admin, signed in to the panel with a key (kept in the panel's local storage).
    await panel.addInitScript((key) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('m3udl.apiKey', key), ADMIN_KEY);
    await panel.goto(`${serverUrl}/#/settings`);
    await panel.getByRole('button', { name: 'Connect a browser' }).click();
    await panel.fill('input[name=browser-name]', 'Chromium test');
    await panel.locator('dialog.connect').getByRole('button', { name: 'Create key' }).click();
    const keyField = panel.getByTestId('connect-key');
    await keyField.waitFor();
    expect(await panel.getByTestId('connect-url').inputValue()).toBe(serverUrl);
    apiKey = await keyField.inputValue();
    expect(app.auth.listKeys().filter((k) => k.name === 'Chromium test')).toEqual([expect.objectContaining({ role: 'operator' })]);
    expect(apiKey).not.toBe(ADMIN_KEY);
    await panel.close();
  });

  it('options page: says exactly what is wrong with a key or an address, then connects and saves', async () => {
    const options = await ext.context.newPage();
    await options.setViewportSize({ width: 360, height: 720 });
    await options.goto(`chrome-extension://${ext.id}/options.html`);
    const result = options.locator('#result');

    await options.fill('#serverUrl', serverUrl);
    await options.fill('#apiKey', 'm3udl_this-key-does-not-exist');
    await options.click('#test');
    await expect.poll(() => result.textContent()).toBe(MESSAGES.keyRejected);

    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const downUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    await options.fill('#serverUrl', downUrl);
    await options.fill('#apiKey', apiKey);
    await options.click('#test');
    await expect.poll(() => result.textContent()).toBe(MESSAGES.unreachable(downUrl));

    await options.fill('#serverUrl', `${serverUrl}/`);
    await options.click('#test');
    const { version } = (await (await fetch(`${serverUrl}/api/health`)).json()) as { version: string };
    await expect.poll(() => result.textContent()).toBe(MESSAGES.connected(version, 'Chromium test', 'operator'));
    await options.selectOption('#defaultQuality', '1080p');
    await options.click('#save');
    await expect.poll(() => result.textContent()).toBe('Saved.');
    await options.screenshot({ path: await artifactPath('extension-options-360.png'), fullPage: true });
    const stored = await ext.worker.evaluate(() => chrome.storage.local.get('settings'));
    expect(stored.settings).toMatchObject({ serverUrl, apiKey, defaultQuality: '1080p', sendCookies: false });
    await options.close();
  });

  it('finds the HLS master a page plays, offers its three qualities, sends 720p with the page\'s headers, and shows it completed', async () => {
    const { tabId } = await play('/watch');
    const popup = await openPopupFor(tabId);
    const entry = popup.locator('article.entry');
    // The master and the variant the page played collapse into one entry once the probe answers.
    await expect.poll(() => popup.locator('select[name=quality] option').evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value)), { timeout: 15_000 }).toEqual(['best', '720p', '480p', '360p']);
    expect(await entry.count()).toBe(1);
    expect(await entry.getAttribute('data-url')).toBe(player.url('/media/master.m3u8'));
    // The probe was sent the page's title (page_title): the URL names nothing here (".../media/master.m3u8"),
    // so the server's suggestion, shown in the title field, is the page's title and not its host.
    const probed = await ext.worker.evaluate(async () => Object.values(await chrome.storage.session.get(null)).flat() as Array<{ url: string; probe?: { state: string; result?: { title?: string; title_from?: string } } }>);
    expect(probed.find((e) => e.url === player.url('/media/master.m3u8'))?.probe?.result).toMatchObject({ title: PAGE_TITLE, title_from: 'page' });
    expect(await popup.locator('input[name=title]').inputValue()).toBe(PAGE_TITLE);
    expect(await entry.locator('.facts').textContent()).toMatch(/^0:02 · 3 qualities · ~\d/);
    // 1080p is the default in the options; this stream tops out at 720p, so "best" is preselected.
    expect(await popup.locator('select[name=quality]').inputValue()).toBe('best');
    const badge = await ext.worker.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId);
    expect(badge).toBe('1');

    await popup.selectOption('select[name=quality]', '720p');
    await popup.screenshot({ path: await artifactPath('extension-popup-360.png'), fullPage: true });
    player.requests.length = 0;
    await popup.click('button.primary');
    const status = popup.locator('.status[data-status]');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 60_000, interval: 250 }).toBe('completed');
    expect(await status.textContent()).toMatch(/^Completed: \/.+\.mp4$/);
    await popup.emulateMedia({ colorScheme: 'dark' });
    await popup.screenshot({ path: await artifactPath('extension-popup-completed-dark-360.png'), fullPage: true });

    const job = app.jobs.list({ limit: 10, offset: 0 }).items.find((j) => j.url === player.url('/media/master.m3u8'))!;
    expect(job).toMatchObject({ status: 'completed', title: PAGE_TITLE, page_title: PAGE_TITLE, page_url: player.url('/watch'), quality: '720p', referer: player.url('/watch') });
    // The system notification for the end of a job sent from this browser.
    await expect.poll(() => ext.worker.evaluate(() => chrome.notifications.getAll()), { timeout: 10_000 }).toHaveProperty(`job:${job.id}`);
    const media = await probe(job.location!);
    expect(media.streams.find((s) => s.codec_type === 'video')?.height).toBe(720);
    // Every request the downloader made carried the page's Referer and the player's token.
    const fetched = player.requests.filter((r) => r.path.startsWith('/media/v720/'));
    expect(fetched.length).toBeGreaterThanOrEqual(3);
    expect(player.requests.filter((r) => r.path.startsWith('/media/')).every((r) => r.status === 200 && r.headers.referer === player.url('/watch') && r.headers['x-player-token'] === PLAYER_TOKEN)).toBe(true);
    await popup.close();
  });

  it('lists a DASH manifest with what the server probe says, ready to send', async () => {
    const { tabId } = await play('/watch-dash');
    const popup = await openPopupFor(tabId);
    const entry = popup.locator('article.entry[data-kind=dash]');
    await expect.poll(() => entry.locator('.facts').textContent(), { timeout: 15_000 }).toMatch(/^0:10 · 2 qualities/);
    expect(await entry.getAttribute('data-url')).toBe(player.url('/media/manifest.mpd'));
    expect(await entry.locator('button.primary').isDisabled()).toBe(false);
    await popup.close();
  });

  it('says a DRM-protected stream cannot be downloaded', async () => {
    const { tabId } = await play('/watch-drm');
    const popup = await openPopupFor(tabId);
    const entry = popup.locator('article.entry[data-kind=hls]');
    await expect.poll(() => entry.locator('.status').textContent(), { timeout: 15_000 }).toBe(MESSAGES.drm);
    expect(await entry.locator('button.primary').isDisabled()).toBe(true);
    await popup.close();
  });

  it('sends a plain .mp4 link through the context-menu path with the page as Referer', async () => {
    const page = await ext.context.newPage();
    await page.goto(player.url('/links'));
    const tabId = await tabIdOf(player.url('/links'));
    const linkUrl = player.url('/files/clip.mp4');
    const jobId = await ext.worker.evaluate(
      async ({ linkUrl, pageUrl, tabId }) => {
        const api = (globalThis as unknown as { m3udl: { onContextMenu(info: object, tab: object): Promise<{ id: string } | null> } }).m3udl;
        const tab = await chrome.tabs.get(tabId);
        return (await api.onContextMenu({ menuItemId: 'send-to-downloader', linkUrl, pageUrl }, { id: tabId, title: tab.title, url: pageUrl }))?.id ?? null;
      },
      { linkUrl, pageUrl: player.url('/links'), tabId },
    );
    expect(jobId).toEqual(expect.any(String));
    const job = await waitFor(() => {
      const j = app.jobs.get(jobId!);
      return j.status === 'completed' || j.status === 'failed' ? j : undefined;
    }, 30_000, 'the context-menu download');
    expect(job).toMatchObject({ status: 'completed', title: 'Clips | VideoSite', referer: player.url('/links'), page_url: player.url('/links') });
    expect((await probe(job.location!)).format.format_name).toMatch(/mp4/);
    const seen = player.requests.filter((r) => r.path === '/files/clip.mp4');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.status === 200 && r.headers.referer === player.url('/links'))).toBe(true);
    await page.close();
  });
});
