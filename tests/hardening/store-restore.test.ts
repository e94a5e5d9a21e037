import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../addon/app.js';
import { loadConfig } from '../../addon/config/load.js';
import { lastGoodName } from '../../addon/store/last-good.js';
import { FAST_RETRY, TEST_SCRYPT, waitFor } from '../helpers/app.js';
import { call } from '../helpers/http-call.js';
import { captureLogger } from '../helpers/log-capture.js';

/**
 * db.json damaged at start (issue 12): the restore uses the copy kept after the last write (not
 * the hourly backup, which loses up to an hour), and says so where people look: /api/health
 * (degraded, with the copy's time), /api/stats (the panel's banner) and the log.
 */
describe('db.json restore', () => {
  let root: string;
  let app: App | null = null;
  afterEach(async () => {
    await app?.stop();
    app = null;
    await rm(root, { recursive: true, force: true });
  });

  const boot = async (logger = captureLogger()): Promise<{ app: App; base: string; log: ReturnType<typeof captureLogger> }> => {
    const config = loadConfig({ env: { DATA_DIR: path.join(root, 'data'), MEDIA_DIR: path.join(root, 'media'), MIN_FREE_SPACE_MB: '0' }, optionsPath: path.join(root, 'none.json') });
    const a = await createApp(config, logger.logger, { retry: FAST_RETRY, scrypt: TEST_SCRYPT });
    await a.start();
    const base = `http://127.0.0.1:${((await a.listen(0, '127.0.0.1')).address() as AddressInfo).port}`;
    return { app: a, base, log: logger };
  };

  it('keeps a last-good copy after each write and restores from it, reporting the copy\'s time', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-restore-'));
    const db = path.join(root, 'data', 'db.json');
    let run = await boot();
    app = run.app;
    // Two downloads (queue paused: nothing runs), each written at once.
    await call(run.base, '/api/queue/pause', { method: 'POST' });
    await call(run.base, '/api/downloads', { method: 'POST', json: { url: 'http://192.0.2.1/1.mp4', title: 'film 1' } });
    // The hourly backup is taken after the first write; film 2 comes after it.
    await waitFor(async () => ((await readFile(`${db}.bak`, 'utf8').catch(() => '')).includes('film 1') ? true : undefined), 10_000, 'the hourly backup');
    await call(run.base, '/api/downloads', { method: 'POST', json: { url: 'http://192.0.2.1/2.mp4', title: 'film 2' } });
    await waitFor(async () => ((await readFile(db, 'utf8').catch(() => '')).includes('film 2') ? true : undefined), 10_000, 'db.json to hold the second download');
    await app.stop();
    app = null;

    // The hourly backup lacks film 2; the last-good copy has it.
    const savedAt = new Date('2026-12-06T21:00:00Z');
    if (existsSync(lastGoodName(db))) await utimes(lastGoodName(db), savedAt, savedAt);
    await writeFile(db, '{"version":1,"jobs":[{"id":'); // cut short
    run = await boot();
    app = run.app;

    const titles = (await call(run.base, '/api/downloads')).body.items.map((j: { title: string }) => j.title);
    expect(titles).toEqual(['film 2', 'film 1']);
    const health = await call(run.base, '/api/health');
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.store).toMatchObject({ status: 'degraded', restored_from: lastGoodName(db), restored_saved_at: savedAt.toISOString() });
    expect(health.body.checks.store.message).toMatch(/restored from db\.json\.last-good saved at 2026-12-06T21:00:00\.000Z: changes after that were lost/);
    const stats = await call(run.base, '/api/stats');
    expect(stats.body.store_restore).toMatchObject({ from: 'db.json.last-good', saved_at: savedAt.toISOString() });
    expect(run.log.text()).toMatch(/using the last good copy db\.json\.last-good saved at 2026-12-06T21:00:00\.000Z/);
    const moved = health.body.checks.store.moved_aside as string;
    expect(existsSync(moved)).toBe(true);
  });

  it('a clean start reports nothing', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-restore-'));
    await mkdir(path.join(root, 'data'), { recursive: true });
    const run = await boot();
    app = run.app;
    expect((await call(run.base, '/api/health')).body.checks.store.status).toBe('ok');
    expect((await call(run.base, '/api/stats')).body.store_restore).toBeNull();
  });
});
