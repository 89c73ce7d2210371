/**
 * Captured and spec frames, one fixture file per channel, hold the field
 * tables to the spec, the live protocol and the contract: each frame must
 * parse as data on one of the channel's dt codes and decode to exactly the
 * hand-written events; each invalid frame must be refused with a DecodeError.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../src/coincall/protocol.ts';
import { decodeItems } from '../src/channels/channel.ts';
import { DecodeError } from '../src/channels/fields.ts';
import { CHANNEL_IDS, CHANNELS, type ChannelId } from '../src/channels/registry.ts';

interface FixtureCase {
  readonly name: string;
  readonly source: 'spec' | 'live' | 'loose';
  /** GraphQL arguments of a subscription that must receive this frame (routing check). */
  readonly args?: Readonly<Record<string, unknown>>;
  readonly frame: string;
  readonly events: readonly unknown[];
}

interface Fixture {
  readonly channel: string;
  readonly market: 'options' | 'futures';
  /** The gateway's receipt time used while decoding (records without their own time fall back to it). */
  readonly receivedAt: number;
  readonly cases: readonly FixtureCase[];
  readonly invalid: ReadonlyArray<{ readonly name: string; readonly frame: string }>;
}

/** The spec shows no example payload for these: they are held by live-form cases. */
const NO_SPEC_EXAMPLE: ReadonlySet<ChannelId> = new Set(['optionOrders', 'futuresOrders', 'optionPositions', 'futuresPositions']);
/** Argument validation runs at this time; every fixture symbol expires later. */
const ARGS_NOW = Date.UTC(2020, 8, 1);

const fixturePath = (id: string) => new URL(`./fixtures/${id}.json`, import.meta.url);
const loadFixture = (id: string): Fixture => JSON.parse(readFileSync(fixturePath(id), 'utf8')) as Fixture;

function dataFrame(text: string) {
  const frame = parseFrame(text);
  if (frame.kind !== 'data') throw new Error(`expected a data frame, got ${JSON.stringify(frame)}`);
  return frame;
}

describe.each(CHANNEL_IDS.map((id) => [id]))('%s fixture', (id) => {
  const channel = CHANNELS[id];

  it('exists and covers the spec form and the live form', () => {
    expect(existsSync(fixturePath(id)), `test/fixtures/${id}.json`).toBe(true);
    const fixture = loadFixture(id);
    expect(fixture.channel).toBe(id);
    expect(fixture.market).toBe(channel.market);
    const sources = new Set(fixture.cases.map((c) => c.source));
    if (!NO_SPEC_EXAMPLE.has(id)) expect(sources, 'a case from the spec').toContain('spec');
    expect(sources, 'a case in the live form').toContain('live');
    expect(fixture.invalid.length).toBeGreaterThan(0);
  });

  if (!existsSync(fixturePath(id))) return;
  const fixture = loadFixture(id);

  describe.each(fixture.cases.map((c) => [`[${c.source}] ${c.name}`, c] as const))('%s', (_title, fixtureCase) => {
    it(`parses as data on one of dt ${channel.dt.join('/')}`, () => {
      expect(channel.dt).toContain(dataFrame(fixtureCase.frame).dt);
    });

    it('decodes to the expected events', () => {
      const frame = dataFrame(fixtureCase.frame);
      const items = decodeItems(channel, frame.d, { frameTs: frame.ts, receivedAt: fixture.receivedAt });
      expect(channel.toEvents(items, undefined)).toEqual(fixtureCase.events);
    });

    if (fixtureCase.args !== undefined) {
      const args = fixtureCase.args;
      it(`routes every item to the topic of ${JSON.stringify(args)}`, () => {
        const frame = dataFrame(fixtureCase.frame);
        const items = decodeItems(channel, frame.d, { frameTs: frame.ts, receivedAt: fixture.receivedAt });
        const { key } = channel.topic(channel.parseArgs(args, ARGS_NOW));
        for (const item of items) expect(channel.keyOf(item)).toBe(key);
      });
    }
  });

  describe.each(fixture.invalid.map((c) => [c.name, c] as const))('invalid: %s', (_name, invalid) => {
    it('is refused with a DecodeError', () => {
      const frame = dataFrame(invalid.frame);
      expect(() => decodeItems(channel, frame.d, { frameTs: frame.ts, receivedAt: fixture.receivedAt })).toThrow(DecodeError);
    });
  });
});

describe('fixture frames', () => {
  it('keep order ids beyond 2^53 as bare JSON numbers in the frame text', () => {
    for (const id of ['optionOrders', 'futuresOrders'] as const) {
      const frames = loadFixture(id).cases.map((c) => c.frame);
      expect(
        frames.some((text) => /"oid":1663004711982333952[,}]/.test(text)),
        id,
      ).toBe(true);
    }
  });
});
