/**
 * The source editor, the schedule editor and cronstrue are lazy chunks of the panel (dynamic
 * imports in views/Sources.svelte): the Downloads view's first paint does not fetch them, they
 * load on first use, under Home Assistant's ingress prefix as well, and a chunk that cannot load
 * (replaced by an add-on update since the page was opened) says so instead of leaving a blank.
 * Also the forms' shared Cancel/Save bar (components/FormButtons.svelte): busy, then the error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceView } from '../../addon/sources/model.js';
import type { TestApp } from '../helpers/app.js';
import { artifactPath, ensurePanelBuilt, launchChromium, PANEL_DIR, startIngressProxy, startPanelApp, type LaunchedBrowser } from './harness.js';

const LAZY = /\/assets\/(SourceEditor|ScheduleEditor|schedule)-[\w-]+\.(js|css)$/;

let app: TestApp;
let baseUrl: string;
let chrome: LaunchedBrowser;
let origin: Server;
let source: SourceView;

beforeAll(async () => {
  ensurePanelBuilt();
  origin = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'audio/x-mpegurl' }).end('#EXTM3U\n'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  [{ app, baseUrl }, chrome] = await Promise.all([startPanelApp(), launchChromium()]);
  // Weekdays at 02:15 is none of the editor's shapes: only cronstrue words it.
  const res = await fetch(`${baseUrl}/api/sources`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Weekday provider', kind: 'm3u', url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}/list.m3u`, schedule: '15 2 * * 1-5' }),
  });
  expect(res.status).toBe(201);
  source = (await res.json()) as SourceView;
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
  await new Promise((r) => origin?.close(r));
});

async function openPage(): Promise<{ ctx: BrowserContext; page: Page; problems: string[]; requests: Request[] }> {
  const ctx = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  const requests: Request[] = [];
  page.on('request', (req) => requests.push(req));
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (404|400)/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { ctx, page, problems, requests };
}

const lazyRequests = (requests: Request[]): string[] => requests.map((r) => r.url()).filter((u) => LAZY.test(new URL(u).pathname));

describe('the panel bundle', () => {
  it('keeps cronstrue and the editors out of the main chunk', () => {
    const assets = readdirSync(path.join(PANEL_DIR, 'assets'));
    const main = assets.filter((f) => /^index-[\w-]+\.js$/.test(f));
    expect(main).toHaveLength(1);
    const code = readFileSync(path.join(PANEL_DIR, 'assets', main[0]!), 'utf8');
    // cronstrue's own wording and the editors' labels live only in their chunks.
    for (const text of ['past the minute', 'Cron expression', 'Replace the playlist file']) expect(code.includes(text), `“${text}” in ${main[0]}`).toBe(false);
    for (const chunk of ['SourceEditor', 'ScheduleEditor', 'schedule']) expect(assets.some((f) => f.startsWith(`${chunk}-`) && f.endsWith('.js'))).toBe(true);
  });
});

describe('lazy chunks in the browser', () => {
  it('are not fetched for the Downloads view, and load under the ingress prefix when an editor opens', async () => {
    const proxy = await startIngressProxy(baseUrl);
    const { ctx, page, problems, requests } = await openPage();
    try {
      await page.goto(`${proxy.prefixUrl}/`);
      await page.locator('.conn.live').waitFor();
      await page.getByPlaceholder('Paste a video or .m3u8 URL').waitFor();
      expect(lazyRequests(requests)).toEqual([]);

      // The list words the custom schedule once cronstrue's chunk is in.
      await page.getByRole('link', { name: 'Sources' }).click();
      const card = page.getByRole('article', { name: source.name });
      await card.getByText('At 02:15, Monday through Friday').waitFor();

      await card.getByRole('button', { name: `Edit source ${source.name}` }).click();
      const editor = card.getByRole('form', { name: `Edit source ${source.name}` });
      expect(await editor.getByLabel('Sync schedule').inputValue()).toBe('custom');
      await expect.poll(() => editor.getByTestId('schedule-preview').textContent()).toBe('At 02:15, Monday through Friday');
      await editor.getByRole('button', { name: 'Cancel' }).click();
      await editor.waitFor({ state: 'detached' });

      await page.getByRole('button', { name: 'Add source' }).first().click();
      const form = page.getByRole('form', { name: 'Add a source' });
      await form.getByLabel('Sync schedule').selectOption('daily');
      await expect.poll(() => form.getByTestId('schedule-preview').textContent()).toBe('Every day at 04:00');
      await page.screenshot({ path: await artifactPath('lazy-chunks-ingress.png'), fullPage: true });

      const lazy = lazyRequests(requests);
      for (const chunk of ['SourceEditor', 'ScheduleEditor', 'schedule']) expect(lazy.some((u) => new URL(u).pathname.includes(`/assets/${chunk}-`))).toBe(true);
      // Every chunk and its stylesheet came through the prefix, and each answered 200.
      for (const u of lazy) expect(u.startsWith(`${proxy.prefixUrl}/assets/`)).toBe(true);
      for (const r of requests.filter((q) => lazyRequests([q]).length > 0)) expect((await r.response())?.status()).toBe(200);
      expect(lazy.some((u) => u.endsWith('.css'))).toBe(true);
      expect(proxy.escaped).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
      await proxy.close();
    }
  });

  it('says so when a chunk cannot be loaded, with a way out', async () => {
    const { ctx, page, problems } = await openPage();
    try {
      // As after an update of the add-on: the open page asks for a chunk that is gone.
      await page.route(/\/assets\/SourceEditor-[\w-]+\.js$/, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
      await page.goto(`${baseUrl}/#/sources`);
      const card = page.getByRole('article', { name: source.name });
      await card.getByRole('button', { name: `Edit source ${source.name}` }).click();
      const alert = card.getByRole('alert');
      await alert.getByText('The source editor could not be loaded.').waitFor();
      await alert.getByText(/reload the page/).waitFor();
      await alert.getByRole('button', { name: 'Try again' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

describe('the forms’ Cancel/Save bar', () => {
  it('is busy while saving, then shows the refusal and lets you save again or cancel', async () => {
    const { ctx, page, problems } = await openPage();
    try {
      let release: (() => void) | null = null;
      const held = new Promise<void>((r) => (release = r));
      await page.route('**/api/destinations', async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        await held;
        await route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { code: 'invalid', message: 'that folder is not writable', field: 'base_path' } }) });
      });
      await page.goto(`${baseUrl}/#/library`);
      await page.getByRole('button', { name: 'Add destination' }).first().click();
      const form = page.getByRole('form', { name: 'Add a destination' });
      await form.getByText('SMB share', { exact: true }).click();
      await form.getByLabel('Name', { exact: true }).fill('Garage NAS');
      await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
      await form.getByLabel('Share', { exact: true }).fill('media');
      await form.getByRole('button', { name: 'Save' }).click();
      const busy = form.getByRole('button', { name: 'Saving…' });
      await busy.waitFor();
      expect(await busy.isDisabled()).toBe(true);
      expect(await form.getByRole('alert').count()).toBe(0);
      release!();
      await form.getByRole('alert').getByText('that folder is not writable').waitFor();
      const save = form.getByRole('button', { name: 'Save' });
      expect(await save.isEnabled()).toBe(true);
      await form.getByRole('button', { name: 'Cancel' }).click();
      await form.waitFor({ state: 'detached' });
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
