/**
 * `npm run simulator`: runs the simulator as a standalone Coincall stand-in.
 * Reads SIMULATOR_PORT (8090), SIMULATOR_HOST (127.0.0.1), SIMULATOR_WIRE_FORM
 * (spec, live or mixed), SIMULATOR_STRICT_IDLE, the main account
 * (SIMULATOR_API_KEY / SIMULATOR_API_SECRET, else the demo account) and extra
 * accounts (SIMULATOR_ACCOUNTS=key:secret[:userId],...), validated at once:
 * bad configuration stops it with one message listing every problem. The only
 * file of the simulator that touches `process`.
 */
import { readSimulatorEnv } from './simulator-env.ts';
import { DEMO_ACCOUNT, startSimulator, type SimulatorAccount } from './index.ts';

/** Exit code for configuration the simulator refuses. */
const EXIT_BAD_CONFIG = 2;

function describeAccount(account: SimulatorAccount, index: number): string {
  const isDemo = account.apiKey === DEMO_ACCOUNT.apiKey && account.apiSecret === DEMO_ACCOUNT.apiSecret;
  const secret = isDemo ? account.apiSecret : index === 0 ? '(from SIMULATOR_API_SECRET)' : '(from SIMULATOR_ACCOUNTS)';
  return `  API key    ${account.apiKey}  user ${account.userId}\n  API secret ${secret}`;
}

async function main(): Promise<void> {
  const read = readSimulatorEnv(process.env);
  if (!read.ok) {
    process.stderr.write(`Invalid simulator configuration:\n${read.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const { port, host, wireForm, accounts, strictIdle } = read.env;
  const simulator = await startSimulator({ port, host, accounts, wireForm, strictIdle });
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
  // Announced only once the signal handlers are in place: whoever reads the banner may stop it at once.
  process.stdout.write(
    [
      'Coincall simulator listening:',
      `  options  ${simulator.urls.options}`,
      `  futures  ${simulator.urls.futures}`,
      `  REST     ${simulator.restUrl} (GET /time, /open/public/config/v1, /open/option/getInstruments/{base}: point COINCALL_REST_URL here)`,
      `  wire form ${wireForm}${strictIdle ? ', strict idle rule' : ''}`,
      ...accounts.map(describeAccount),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
