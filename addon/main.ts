import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './platform/logger.js';
import { createApp } from './app.js';

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
  const logger = createLogger(config.log_level);
  const app = await createApp(config, logger);
  await app.start();
  await app.listen();
  logger.info(
    { port: config.port, dataDir: config.data_dir, mediaDir: config.media_dir, ffmpeg: app.ffmpeg.source, options: config.options_path, auth: config.api_key ? 'api key' : 'none' },
    'm3u-downloader listening',
  );

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
