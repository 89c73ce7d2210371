/**
 * The simulator's two wire forms hold to their sources. The spec form is
 * checked against the spec's example frames (the `spec` cases of
 * test/fixtures/): per channel, every key the simulator emits, in the frame
 * and at every depth of its items, must appear in the examples with the same
 * JSON type. The live form is
 * checked against the facts the protocol document states.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_IDS, CHANNELS, type ChannelId } from '../src/channels/registry.ts';
import { parseFrame, type MarketName } from '../src/coincall/protocol.ts';
import { signedUrl } from '../src/coincall/signing.ts';
import { DEMO_ACCOUNT, startSimulator, type Simulator, type WireForm } from '../src/simulator/index.ts';
import { examplePayload } from './helpers/example-payload.ts';
import { TestClient } from './helpers/ws-client.ts';

const FAST_TICK_MS = 10;
/** Frames looked at per channel: enough for optional values (last price, trades) to show up. */
const FRAMES_PER_CHANNEL = 4;

type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';
/** JSON path (`d.asks[].pr`) -> the JSON types seen there. */
type Signature = Map<string, Set<JsonType>>;

function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return t;
  return 'object';
}

/**
 * The signature of a data frame: its own keys, and the keys of its items under
 * `d[]` whether `d` is one object or a list (the decoder takes either, and the
 * spec shows no position frame to say which).
 */
function frameSignature(text: string, into: Signature = new Map()): Signature {
  const { d, ...frame } = JSON.parse(text) as Record<string, unknown>;
  signatureOf(frame, '', into);
  signatureOf(Array.isArray(d) ? d : [d], 'd', into);
  return into;
}

/** Adds the types of `value` and everything inside it to `into`, array elements under `[]`. */
function signatureOf(value: unknown, path = '', into: Signature = new Map()): Signature {
  const type = jsonType(value);
  if (path !== '') {
    const seen = into.get(path) ?? new Set<JsonType>();
    seen.add(type);
    into.set(path, seen);
  }
  if (Array.isArray(value)) for (const item of value) signatureOf(item, `${path}[]`, into);
  else if (type === 'object')
    for (const [key, inner] of Object.entries(value as Record<string, unknown>))
      signatureOf(inner, path === '' ? key : `${path}.${key}`, into);
  return into;
}

interface Fixture {
  readonly cases: ReadonlyArray<{ readonly source: string; readonly frame: string }>;
}

/** The signature of a channel's spec example frames, or undefined when the spec shows none. */
function specSignature(id: ChannelId): Signature | undefined {
  const fixture = JSON.parse(readFileSync(new URL(`./fixtures/${id}.json`, import.meta.url), 'utf8')) as Fixture;
  const frames = fixture.cases.filter((c) => c.source === 'spec').map((c) => c.frame);
  if (frames.length === 0) return undefined;
  const signature: Signature = new Map();
  for (const frame of frames) frameSignature(frame, signature);
  return signature;
}

/** Subscribes to every channel of both markets in one form and collects each channel's frames. */
async function framesOf(simulator: Simulator, clients: TestClient[]): Promise<Map<ChannelId, string[]>> {
  const out = new Map<ChannelId, string[]>();
  for (const market of ['options', 'futures'] as const satisfies readonly MarketName[]) {
    const client = await TestClient.connect(signedUrl(simulator.urls[market], DEMO_ACCOUNT, Date.now()));
    clients.push(client);
    const ids = CHANNEL_IDS.filter((id) => CHANNELS[id].market === market);
    for (const id of ids) {
      const channel = CHANNELS[id];
      const payload = examplePayload(channel);
      client.send(
        payload === undefined
          ? { action: 'subscribe', dataType: channel.dataType }
          : { action: 'subscribe', dataType: channel.dataType, payload },
      );
    }
    for (const id of ids) {
      const dt = CHANNELS[id].dt[0];
      const frames = await client.collect((text) => {
        const frame = parseFrame(text);
        return frame.kind === 'data' && frame.dt === dt;
      }, FRAMES_PER_CHANNEL);
      out.set(
        id,
        frames.map((f) => f.text),
      );
    }
  }
  return out;
}

async function collectForm(form: WireForm): Promise<{ frames: Map<ChannelId, string[]>; close: () => Promise<void> }> {
  const simulator = await startSimulator({ tickMs: FAST_TICK_MS, seed: 5, wireForm: form });
  const clients: TestClient[] = [];
  const close = async () => {
    for (const client of clients) client.close();
    await simulator.close();
  };
  try {
    return { frames: await framesOf(simulator, clients), close };
  } catch (error) {
    await close();
    throw error;
  }
}

describe('the spec form', () => {
  let frames: Map<ChannelId, string[]>;
  let close: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ({ frames, close } = await collectForm('spec'));
  });
  afterAll(() => close());

  const withExample = CHANNEL_IDS.filter((id) => specSignature(id) !== undefined);

  it('is checked for every channel the spec shows an example of', () => {
    expect(CHANNEL_IDS.filter((id) => !withExample.includes(id))).toEqual(['optionOrders', 'futuresOrders']);
  });

  it.each(withExample.map((id) => [id]))('%s: every key emitted, at every depth, has the JSON type of the example frames', (id) => {
    const example = specSignature(id) as Signature;
    const emitted: Signature = new Map();
    for (const text of frames.get(id) ?? []) frameSignature(text, emitted);
    expect(emitted.size).toBeGreaterThan(0);
    const mismatches: string[] = [];
    for (const [path, types] of emitted) {
      const allowed = example.get(path);
      if (allowed === undefined) mismatches.push(`${path}: not in the spec's example`);
      else for (const type of types) if (!allowed.has(type)) mismatches.push(`${path}: ${type}, the example has ${[...allowed].join('/')}`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('the live form', () => {
  let frames: Map<ChannelId, string[]>;
  let close: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ({ frames, close } = await collectForm('live'));
  });
  afterAll(() => close());

  const data = (id: ChannelId): unknown[] => (frames.get(id) ?? []).map((text) => (JSON.parse(text) as { d: unknown }).d);
  const items = (id: ChannelId): Array<Record<string, unknown>> =>
    data(id).flatMap((d) => (Array.isArray(d) ? d : [d])) as Array<Record<string, unknown>>;

  it('sends order book prices and sizes as strings under pr and sz', () => {
    for (const id of ['optionOrderBook', 'futuresOrderBook'] as const)
      for (const book of items(id))
        for (const level of [...(book['bids'] as unknown[]), ...(book['asks'] as unknown[])]) {
          expect(level).toEqual({ pr: expect.any(String), sz: expect.any(String) });
        }
  });

  it('sends trade sizes as strings under q', () => {
    for (const trade of items('futuresTrades')) expect(trade).toMatchObject({ q: expect.any(String), pr: expect.any(Number) });
  });

  it('sends accountBalance uid as a number, delta as a string, and assets', () => {
    for (const balance of items('accountBalance')) {
      expect(balance).toMatchObject({ uid: Number(DEMO_ACCOUNT.userId), delta: expect.any(String), assets: expect.any(Array) });
      expect(balance).not.toHaveProperty('u');
    }
  });

  it('sends position uid as a string', () => {
    for (const position of [...items('optionPositions'), ...items('futuresPositions')]) expect(position['uid']).toBe(DEMO_ACCOUNT.userId);
  });

  it('adds open interest and ts to the futures index, and a frame-level ts', () => {
    for (const text of frames.get('futuresIndexPrice') ?? []) {
      const frame = JSON.parse(text) as { ts: unknown; d: Record<string, unknown> };
      expect(frame.ts).toEqual(expect.any(Number));
      expect(frame.d).toHaveProperty('oi');
      expect(frame.d['ts']).toEqual(expect.any(Number));
    }
  });
});
