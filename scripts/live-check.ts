/**
 * `npm run live-check`: an opt-in check of the gateway against the exchange it
 * is configured for, outside `npm test` (no test depends on the real
 * exchange). With COINCALL_API_KEY / COINCALL_API_SECRET set, as for
 * `npm start`, it starts the gateway in this process on a free local port,
 * loads Coincall's instrument list, subscribes over graphql-ws to every public
 * channel's GraphiQL example (listed symbols and expiries) and waits for each
 * one's first event; then it asks `status` whether any upstream frame was
 * dropped as unknown or undecodable (a sign the exchange's wire format moved
 * away from the channel tables). It prints one line per channel and exits 1
 * if a public channel sent nothing or failed, a frame did not decode, or the
 * instrument list did not load.
 *
 * LIVE_CHECK_PRIVATE=1 also subscribes to the private channels with the same
 * key (an account with no activity may send nothing: those are reported, not
 * failed, unless the exchange refuses the key). LIVE_CHECK_TIMEOUT_MS bounds
 * the wait per channel (default 20000). Without a key it runs against the
 * built-in simulator: a check of the check itself.
 */
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startApp } from '../src/app.ts';
import { exampleVariables } from '../src/channels/examples.ts';
import { operationText } from '../src/channels/example-context.ts';
import { ALL_CHANNELS } from '../src/channels/registry.ts';
import type { AnyChannel } from '../src/channels/channel.ts';
import { readConfig } from '../src/config.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';

/** How long each channel may take to send its first event. */
const DEFAULT_TIMEOUT_MS = 20_000;

type Outcome =
  | { readonly kind: 'event'; readonly ms: number }
  | { readonly kind: 'error'; readonly code: string; readonly message: string }
  | { readonly kind: 'silent' };

interface ChannelResult {
  readonly channel: AnyChannel;
  readonly outcome: Outcome;
}

const env = process.env;
const configResult = readConfig({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: env['LOG_LEVEL'] ?? 'warn' });
if (!configResult.ok) {
  console.error(`Invalid configuration:\n${configResult.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(2);
}
const config = configResult.config;
const timeoutMs = Number(env['LIVE_CHECK_TIMEOUT_MS'] ?? DEFAULT_TIMEOUT_MS);
const withPrivate = env['LIVE_CHECK_PRIVATE'] === '1';

const app = await startApp({ config, logger: pino({ level: config.logLevel }) });
const live = app.mode === 'LIVE';
console.log(`live-check: gateway on ${app.url}, ${live ? 'against Coincall' : 'against the built-in simulator (no COINCALL_API_KEY)'}`);

// The client credential for private channels: the configured key (the simulator's demo account without one).
const credential = live
  ? { apiKey: config.apiKey ?? '', apiSecret: config.apiSecret ?? '' }
  : { apiKey: DEMO_ACCOUNT.apiKey, apiSecret: DEMO_ACCOUNT.apiSecret };
const client = createClient({
  url: app.url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  connectionParams: credential,
});

/** Subscribes to the channel's example and resolves with what came first: an event, an error, or nothing in time. */
function firstEvent(channel: AnyChannel, variables: Readonly<Record<string, unknown>>): Promise<Outcome> {
  const started = Date.now();
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'silent' }), timeoutMs);
    const unsubscribe = client.subscribe(
      { query: operationText(channel.example.operation), variables: { ...variables } },
      {
        next: (result) => {
          const error = result.errors?.[0];
          if (error !== undefined) finish({ kind: 'error', code: String(error.extensions?.['code'] ?? 'ERROR'), message: error.message });
          else if (result.data !== undefined && result.data !== null) finish({ kind: 'event', ms: Date.now() - started });
        },
        error: (error: unknown) =>
          finish({ kind: 'error', code: 'TRANSPORT', message: error instanceof Error ? error.message : JSON.stringify(error) }),
        complete: () => finish({ kind: 'error', code: 'COMPLETED', message: 'the subscription ended before any event' }),
      },
    );
  });
}

interface StatusAnswer {
  readonly data?: {
    readonly status?: {
      readonly droppedFrames?: { readonly unknownDt: number; readonly undecodable: number; readonly oversized: number };
      readonly instruments?: {
        readonly state: string;
        readonly options: number;
        readonly futures: number;
        readonly lastError: string | null;
      };
    };
  };
}

async function status(): Promise<StatusAnswer> {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: '{ status { droppedFrames { unknownDt undecodable oversized } instruments { state options futures lastError } } }',
    }),
  });
  return (await response.json()) as StatusAnswer;
}

const describe = ({ channel, outcome }: ChannelResult): string => {
  const what = `${channel.market}/${channel.dataType}`.padEnd(26);
  const name = channel.id.padEnd(18);
  switch (outcome.kind) {
    case 'event':
      return `${name} ${what} ok: first event after ${outcome.ms} ms`;
    case 'error':
      return `${name} ${what} ${outcome.code}: ${outcome.message}`;
    case 'silent':
      return `${name} ${what} no event within ${timeoutMs} ms${channel.access === 'private' ? ' (an account with no activity may send none)' : ''}`;
  }
};

let failed = false;
try {
  const variables = exampleVariables({ now: Date.now(), listed: app.instruments });
  const channels = ALL_CHANNELS.filter((c) => c.access === 'public' || withPrivate);
  const results: ChannelResult[] = await Promise.all(
    channels.map(async (channel) => ({ channel, outcome: await firstEvent(channel, variables[channel.id as keyof typeof variables]) })),
  );
  for (const result of results) console.log(describe(result));
  for (const { channel, outcome } of results) {
    const privateSilence = channel.access === 'private' && outcome.kind === 'silent';
    if (outcome.kind !== 'event' && !privateSilence) failed = true;
  }

  const answer = await status();
  const drops = answer.data?.status?.droppedFrames;
  const instruments = answer.data?.status?.instruments;
  console.log(
    `instruments: ${instruments?.state ?? 'unknown'} (${instruments?.options ?? 0} options, ${instruments?.futures ?? 0} futures)${instruments?.lastError ? `, last error: ${instruments.lastError}` : ''}`,
  );
  console.log(
    `dropped frames: ${drops === undefined ? 'unknown' : `unknown dt ${drops.unknownDt}, undecodable ${drops.undecodable}, oversized ${drops.oversized}`}`,
  );
  if (instruments?.state !== 'READY') failed = true;
  if (drops === undefined || drops.unknownDt > 0 || drops.undecodable > 0) failed = true;
} finally {
  await client.dispose();
  await app.close();
}
console.log(failed ? 'live-check: FAILED' : 'live-check: passed');
process.exit(failed ? 1 : 0);
