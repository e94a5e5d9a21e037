/**
 * Settings -> Notifications in a real browser (Debian's Chromium via playwright-core) against
 * the real app and fake ntfy/Gotify servers: the form is rendered from the kind's JSON Schema the
 * API serves. Screenshots land in test-artifacts/.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNtfy, type FakeReceiver } from '../fakes/notify-receivers.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { artifactPath, ensurePanelBuilt, launchChromium, type LaunchedBrowser } from './harness.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const TOKEN = 'tk_panelsecrettoken_0123456789';

let app: TestApp;
let server: Server;
let baseUrl: string;
let chrome: LaunchedBrowser;
let ntfy: FakeReceiver;

beforeAll(async () => {
  ensurePanelBuilt();
  [chrome, ntfy] = await Promise.all([launchChromium(), startFakeNtfy({ token: TOKEN })]);
  app = await makeTestApp({ MQTT_ENABLED: 'false' }, { notify: { retryDelaysMs: [] } });
  server = await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
  await ntfy?.close();
});

async function openPage(viewport: { width: number; height: number }): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await chrome.browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The 400 the test provokes on purpose is logged by the browser as a failed resource.
    if (msg.type() === 'error' && !/status of (400|404)/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { ctx, page, problems };
}

describe('Settings -> Notifications', () => {
  it('adds an ntfy channel from the schema-rendered form, shows the server\'s field error, tests it with the exact result, edits and deletes it', async () => {
    const { ctx, page, problems } = await openPage(DESKTOP);
    try {
      await page.goto(`${baseUrl}/#/settings`);
      const section = page.locator('section[aria-labelledby="notifiers-title"]');
      const channels = section.getByRole('list', { name: 'Notification channels' });
      await channels.getByRole('listitem', { name: 'Telegram' }).waitFor();
      expect(await channels.getByRole('listitem').count()).toBe(3); // MQTT, Home Assistant, Telegram from the options

      await section.getByRole('button', { name: 'Add channel' }).click();
      const form = section.getByRole('form', { name: 'Add a notification channel' });
      await form.getByLabel('Kind', { exact: true }).selectOption({ label: 'ntfy' });
      // Fields come from the kind's JSON Schema: titles, optional marks, defaults, write-only secret.
      await expect.poll(() => form.getByLabel(/^Server URL/).inputValue()).toBe('https://ntfy.sh');
      expect(await form.getByLabel(/^Priority/).inputValue()).toBe('3');
      expect(await form.getByLabel(/^Access token/).getAttribute('type')).toBe('password');
      await form.getByLabel('Name', { exact: true }).fill('Phone');
      await form.getByLabel(/^Server URL/).fill(ntfy.url);
      await form.getByLabel(/^Topic/).fill('not a topic');
      await form.getByLabel(/^Access token/).fill(TOKEN);
      await form.getByLabel(/^Click link/).fill(`${baseUrl}/`);
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByRole('alert').filter({ hasText: 'settings.topic: must be 1-64 letters, digits, - or _' }).waitFor();
      expect(await form.getByLabel(/^Topic/).getAttribute('aria-invalid')).toBe('true');

      await form.getByLabel(/^Topic/).fill('m3u_phone');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.waitFor({ state: 'detached' });
      const phone = channels.getByRole('listitem', { name: 'Phone' });
      await phone.waitFor();
      await section.screenshot({ path: await artifactPath('notifications-1280x800.png') });

      await phone.getByRole('button', { name: 'Test' }).click();
      await phone.getByRole('status').filter({ hasText: `ntfy at ${ntfy.url} accepted the test message` }).waitFor();
      const sent = ntfy.requests.at(-1)!;
      expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(sent.json).toMatchObject({ topic: 'm3u_phone', title: 'M3U Downloader', click: `${baseUrl}/` });

      // Editing: the token is stored (never shown); a blank field keeps it.
      await phone.getByRole('button', { name: 'Edit Phone' }).click();
      const editForm = section.getByRole('form', { name: 'Edit Phone' });
      expect(await editForm.getByLabel(/^Access token/).inputValue()).toBe('');
      expect(await editForm.getByLabel(/^Access token/).getAttribute('placeholder')).toBe('Stored — type to replace');
      await editForm.getByLabel(/^Priority/).fill('5');
      await editForm.getByLabel('Download completed').uncheck();
      await editForm.getByRole('button', { name: 'Save' }).click();
      // Saved when the form closes (the server answers once db.json is written).
      await editForm.waitFor({ state: 'detached' });
      const stored = app.store.data.notifiers.find((n) => n.name === 'Phone')!;
      expect(stored.settings).toMatchObject({ token: TOKEN, priority: 5, topic: 'm3u_phone' });
      expect(stored.events).not.toContain('download.completed');
      expect(await page.content()).not.toContain(TOKEN);

      // A wrong token: the test says what ntfy answered.
      await phone.getByRole('button', { name: 'Edit Phone' }).click();
      await section.getByRole('form', { name: 'Edit Phone' }).getByLabel(/^Access token/).fill('tk_wrong');
      await section.getByRole('form', { name: 'Edit Phone' }).getByRole('button', { name: 'Save' }).click();
      await section.getByRole('form', { name: 'Edit Phone' }).waitFor({ state: 'detached' });
      await phone.getByRole('button', { name: 'Test' }).click();
      await phone.getByRole('alert').filter({ hasText: `Not sent: ntfy at ${ntfy.url} answered 401: unauthorized` }).waitFor();
      await phone.getByText('Error').first().waitFor();

      await phone.getByRole('button', { name: 'Delete Phone' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      // The delete answers once db.json is written (up to a second later); a loaded machine adds more.
      await expect.poll(() => channels.getByRole('listitem').count(), { timeout: 10_000 }).toBe(3);
      expect(app.store.data.notifiers.some((n) => n.name === 'Phone')).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('fits a phone screen with the form open', async () => {
    const { ctx, page, problems } = await openPage(PHONE);
    try {
      await page.goto(`${baseUrl}/#/settings`);
      const section = page.locator('section[aria-labelledby="notifiers-title"]');
      await section.getByRole('button', { name: 'Add channel' }).click();
      const form = section.getByRole('form', { name: 'Add a notification channel' });
      await form.getByLabel('Kind', { exact: true }).selectOption({ label: 'Webhook' });
      await form.getByLabel(/^Headers/).waitFor();
      await section.screenshot({ path: await artifactPath('notifications-390x844.png') });
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      expect(overflow).toBeLessThanOrEqual(0);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
