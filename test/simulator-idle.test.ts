/**
 * The simulator's idle rules, with a small injected timeout. By default a
 * connection stays open as long as the client sends anything, heartbeats
 * included. With `strictIdle` (the exchange's rule: "no subscription or no
 * traffic for 30 s") a connection without a subscription is closed even while
 * it sends heartbeats; a subscribed one stays open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseFrame } from '../src/coincall/protocol.ts';
import { signedUrl } from '../src/coincall/signing.ts';
import {
  DEMO_ACCOUNT,
  IDLE_CLOSE_CODE,
  NO_SUBSCRIPTION_CLOSE_REASON,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../src/simulator/index.ts';
import { TestClient } from './helpers/ws-client.ts';

const IDLE_MS = 1_500;
/** Heartbeats come several times per idle window, so the traffic rule alone never fires. */
const HEARTBEAT_EVERY_MS = 100;
/** How many idle windows a connection that must stay open is watched for. */
const WINDOWS_WATCHED = 2;

const simulators: Simulator[] = [];
const clients: TestClient[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const client of clients.splice(0)) client.close();
  await Promise.all(simulators.splice(0).map((s) => s.close()));
});

async function connect(options: SimulatorOptions): Promise<TestClient> {
  const sim = await startSimulator({ tickMs: 20, idleTimeoutMs: IDLE_MS, ...options });
  simulators.push(sim);
  const client = await TestClient.connect(signedUrl(sim.urls.futures, DEMO_ACCOUNT, Date.now()));
  clients.push(client);
  return client;
}

function keepHeartbeating(client: TestClient): void {
  timers.push(setInterval(() => client.isOpen && client.send({ action: 'heartbeat' }), HEARTBEAT_EVERY_MS));
}

const isHeartbeatAnswer = (text: string) => parseFrame(text).kind === 'heartbeat';
const isAck = (action: string) => (text: string) => {
  const frame = parseFrame(text);
  return frame.kind === 'ack' && frame.action === action;
};

/** Waits until heartbeats have been answered across several idle windows; the connection must still be open. */
async function heartbeatsAnsweredFor(client: TestClient, windows: number): Promise<void> {
  const from = client.texts.length;
  await client.collect(isHeartbeatAnswer, Math.ceil((windows * IDLE_MS) / HEARTBEAT_EVERY_MS), from);
}

describe('default idle rule: any client traffic keeps a connection open', () => {
  it('keeps a connection without subscriptions open while it sends heartbeats', async () => {
    const client = await connect({});
    keepHeartbeating(client);
    await heartbeatsAnsweredFor(client, WINDOWS_WATCHED);
    expect(client.isOpen).toBe(true);
  });
});

describe('strict idle rule: no subscription closes a connection, heartbeats or not', () => {
  it('closes a connection that never subscribes, though it sends heartbeats', async () => {
    const client = await connect({ strictIdle: true });
    keepHeartbeating(client);
    const closed = await client.closed;
    expect(closed).toEqual({ code: IDLE_CLOSE_CODE, reason: NO_SUBSCRIPTION_CLOSE_REASON });
    expect(client.texts.filter(isHeartbeatAnswer).length).toBeGreaterThan(0);
  });

  it('keeps a subscribed connection open', async () => {
    const client = await connect({ strictIdle: true });
    keepHeartbeating(client);
    client.send({ action: 'subscribe', dataType: 'spotPrice', payload: { symbol: 'BTCUSD' } });
    await client.waitFor(isAck('SUBSCRIBE'));
    await heartbeatsAnsweredFor(client, WINDOWS_WATCHED);
    expect(client.isOpen).toBe(true);
  });

  it('starts the clock again when the last subscription goes', async () => {
    const client = await connect({ strictIdle: true });
    keepHeartbeating(client);
    client.send({ action: 'subscribe', dataType: 'spotPrice', payload: { symbol: 'BTCUSD' } });
    await client.waitFor(isAck('SUBSCRIBE'));
    await heartbeatsAnsweredFor(client, WINDOWS_WATCHED);
    client.send({ action: 'unSubscribe', dataType: 'spotPrice', payload: { symbol: 'BTCUSD' } });
    await client.waitFor(isAck('UNSUBSCRIBE'));
    expect(await client.closed).toEqual({ code: IDLE_CLOSE_CODE, reason: NO_SUBSCRIPTION_CLOSE_REASON });
  });

  it('still closes a subscribed connection that goes silent (the traffic rule)', async () => {
    const client = await connect({ strictIdle: true });
    client.send({ action: 'subscribe', dataType: 'spotPrice', payload: { symbol: 'BTCUSD' } });
    expect((await client.closed).reason).toBe('idle timeout');
  });
});
