import path from 'node:path';
import { ConfigError, loadConfig } from './config/load.js';
import { LogBuffer, stdoutDestination, teeDestination } from './platform/log-buffer.js';
import { createLogger } from './platform/logger.js';
import { parseUmask } from './platform/ownership.js';
import { resolveFfmpeg } from './platform/ffmpeg.js';
import { enableCompileCache } from './platform/compile-cache.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // JSON lines to stdout (the container runtime rotates them), the last ones also kept for /api/logs.
  const logBuffer = new LogBuffer();
  const logger = createLogger(config.log_level, teeDestination(stdoutDestination(), logBuffer));
  // UMASK shapes every file and directory we (and ffmpeg, smbclient…) create from here on.
  const umask = parseUmask(config.umask);
  if (umask !== undefined) process.umask(umask);
  // Node 22+: the compiled code of what loads next (app.js, most of the server) is reused on restart.
  const compileCache = enableCompileCache(path.join(config.tmp_dir, 'compile-cache'));
  // ffmpeg's probe runs while the rest of the server loads (app.js is most of the start-up's time).
  const ffmpeg = resolveFfmpeg(config.ffmpeg_path, process.env.PATH);
  ffmpeg.catch(() => undefined); // createApp awaits it and fails the start as before
  const { createApp } = await import('./app.js');
  const app = await createApp(config, logger, { logBuffer, ffmpeg });
  await app.start();
  await app.listen();
  logger.info(
    {
      port: config.port,
      mode: config.mode,
      dataDir: config.data_dir,
      mediaDir: config.media_dir,
      ffmpeg: app.ffmpeg.source,
      compileCache,
      options: config.options_path,
      trustedProxies: config.trusted_proxies,
      bootstrapKey: config.api_key ? 'set' : 'unset',
      users: app.auth.userCount(),
    },
    'm3u-downloader listening',
  );
  if (config.mode === 'standalone' && app.auth.isUnconfigured()) {
    logger.warn(
      { port: config.port },
      `setup required: open the panel on port ${config.port} to create the admin account (POST /api/auth/setup); until then the API answers only requests from this machine (127.0.0.1)`,
    );
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: checkpointing active downloads');
    // Hard stop if something hangs: the Supervisor kills us after 10 s anyway.
    setTimeout(() => process.exit(1), 9500).unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
