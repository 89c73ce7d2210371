/**
 * `npm start`: the only place that touches `process` (environment, signals,
 * exit codes). Reads the configuration, starts the gateway, shuts it down
 * cleanly on SIGTERM/SIGINT, and re-reads the keys file on SIGHUP. Logs are pino's JSON lines, or with
 * LOG_FORMAT=pretty pino-pretty's readable ones (loaded only then).
 */
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { startApp } from './app.ts';
import { readConfig, type Config } from './config.ts';
import { clusterLogFields } from './lib/cluster-config.ts';

/** Secrets never reach a log line, whatever object carries them. */
const REDACT = { paths: ['apiSecret', '*.apiSecret', 'secret', '*.secret'], censor: '[redacted]' } satisfies LoggerOptions['redact'];

async function createLogger(config: Config): Promise<PinoLogger> {
  const options: LoggerOptions = { level: config.logLevel, redact: REDACT };
  if (config.logFormat !== 'pretty') return pino(options);
  const { default: pretty } = await import('pino-pretty');
  // sync: the last lines (shutting down) are written before process.exit.
  return pino(options, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l' }));
}

const result = readConfig(process.env, process.pid);
if (!result.ok) {
  console.error(`Invalid configuration:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const { config } = result;
const logger = await createLogger(config);
// Misspelt settings (MAX_CONECTIONS) would otherwise be ignored in silence.
for (const warning of result.warnings) logger.warn(warning);
// What a replica of a cluster runs with, before it reaches for NATS (no credential of the URL).
if (config.cluster !== undefined)
  logger.info({ cluster: clusterLogFields(config.cluster) }, `cluster replica ${config.cluster.nodeId} of ${config.cluster.name}`);

try {
  const app = await startApp({ config, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logger.info({ signal }, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP re-reads the keys file (GATEWAY_AUTH=keys); a broken file keeps the keys in force.
  process.on('SIGHUP', () => app.reloadAccess());
  // Announced only once the signal handlers are in place: whoever reads the line may stop it at once.
  logger.info({ url: app.url, mode: app.mode }, `Coincall GraphQL gateway listening on ${app.url}`);
  if (app.mode === 'SIMULATED')
    logger.warn(
      'SIMULATED DATA: no Coincall key was given, so the gateway streams from its built-in simulator. ' +
        'Set COINCALL_API_KEY and COINCALL_API_SECRET to connect to the exchange.',
    );
} catch (error) {
  logger.error({ err: error instanceof Error ? error.message : String(error) }, 'failed to start');
  process.exit(1);
}
