/**
 * `npm start`: the only place that touches `process` (environment, signals,
 * exit codes). Reads the configuration, starts the gateway, and shuts it down
 * cleanly on SIGTERM/SIGINT.
 */
import { pino } from 'pino';
import { startApp } from './app.ts';
import { readConfig } from './config.ts';

const result = readConfig(process.env);
if (!result.ok) {
  console.error(`Invalid configuration:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const { config } = result;
const logger = pino({ level: config.logLevel, redact: { paths: ['apiSecret', '*.apiSecret', 'secret', '*.secret'], censor: '[redacted]' } });

try {
  const app = await startApp({ config, logger });
  logger.info({ url: app.url, mode: app.mode }, `Coincall GraphQL gateway listening on ${app.url}`);
  if (app.mode === 'SIMULATED')
    logger.warn(
      'SIMULATED DATA: no Coincall key was given, so the gateway streams from its built-in simulator. ' +
        'Set COINCALL_API_KEY and COINCALL_API_SECRET to connect to the exchange.',
    );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  logger.error({ err: error instanceof Error ? error.message : String(error) }, 'failed to start');
  process.exit(1);
}
