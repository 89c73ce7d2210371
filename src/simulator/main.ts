/**
 * `npm run simulator`: runs the simulator as a standalone Coincall stand-in.
 * Reads SIMULATOR_PORT (8090), SIMULATOR_HOST (127.0.0.1) and, to override
 * the demo account, SIMULATOR_API_KEY / SIMULATOR_API_SECRET. The only file of
 * the simulator that touches `process`.
 */
import { DEMO_ACCOUNT, startSimulator, type SimulatorAccount } from './index.ts';

const DEFAULT_PORT = 8090;
const DEFAULT_HOST = '127.0.0.1';

function portFrom(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`SIMULATOR_PORT must be an integer from 0 to 65535, got "${text}".\n`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const env = process.env;
  const port = portFrom(env['SIMULATOR_PORT']);
  const host = env['SIMULATOR_HOST'] || DEFAULT_HOST;
  const account: SimulatorAccount = {
    apiKey: env['SIMULATOR_API_KEY'] || DEMO_ACCOUNT.apiKey,
    apiSecret: env['SIMULATOR_API_SECRET'] || DEMO_ACCOUNT.apiSecret,
    userId: DEMO_ACCOUNT.userId,
  };
  const simulator = await startSimulator({ port, host, accounts: [account] });
  process.stdout.write(
    [
      'Coincall simulator listening:',
      `  options  ${simulator.urls.options}`,
      `  futures  ${simulator.urls.futures}`,
      `  API key    ${account.apiKey}`,
      `  API secret ${account.apiKey === DEMO_ACCOUNT.apiKey && account.apiSecret === DEMO_ACCOUNT.apiSecret ? account.apiSecret : '(from SIMULATOR_API_SECRET)'}`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: closing the simulator.\n`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
