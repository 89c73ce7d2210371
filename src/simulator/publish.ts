/**
 * What the simulator sends on each topic: per tick, the frames of every
 * subscribed topic, as its channel's `simulate` hook builds them from the
 * market and the accounts (state topics every tick, event topics when
 * something happened, positions and balances on their own period), encoded
 * once per tick and shared by every connection on the same topic.
 */
import type { SimulatedAccount, SimulatedEvents, SimulatedMarket, SimulationContext } from '../channels/simulation.ts';
import type { MarketName } from '../coincall/protocol.ts';
import type { Connection } from './client-session.ts';
import { encodeFrame, type WireForm } from './encode.ts';
import type { Topic } from './requests.ts';

export type WireFormOption = WireForm | 'mixed';
/** The live form by default: what the exchange sends today. `mixed` (spec and live frames in turn) is for tests that ask for it. */
export const DEFAULT_WIRE_FORM: WireFormOption = 'live';

/** One tick's view of the world, shared by every topic. */
export interface TickContext {
  readonly market: SimulatedMarket;
  readonly now: number;
  accountOf(apiKey: string): SimulatedAccount | undefined;
  /** Private events of this tick, per API key. */
  readonly events: ReadonlyMap<string, Readonly<Record<MarketName, SimulatedEvents>>>;
  /** Whether positions and balances are due this tick. */
  readonly accountPushDue: boolean;
}

const NO_FRAMES: readonly string[] = [];

export class Publisher {
  private readonly wireForm: WireFormOption;
  private readonly cache = new Map<string, readonly string[]>();
  private frameCount = 0;

  constructor(wireForm: WireFormOption) {
    this.wireForm = wireForm;
  }

  /** Forgets last tick's frames. */
  beginTick(): void {
    this.cache.clear();
  }

  /** Frames of a topic this tick (cached per topic), or, with `initial`, the first frame of a new subscription. */
  frames(connection: Connection, topic: Topic, ctx: TickContext, initial = false): readonly string[] {
    if (initial) return this.build(connection, topic, ctx, true);
    const isPrivate = topic.channel.access === 'private';
    const key = `${isPrivate ? connection.apiKey : ''}|${connection.market}|${topic.key}`;
    let frames = this.cache.get(key);
    if (frames === undefined) {
      frames = this.build(connection, topic, ctx, false);
      this.cache.set(key, frames);
    }
    return frames;
  }

  private nextForm(): WireForm {
    if (this.wireForm !== 'mixed') return this.wireForm;
    this.frameCount++;
    return this.frameCount % 2 === 0 ? 'spec' : 'live';
  }

  /** The channel's hook says what the topic sends; each frame is encoded here, through the channel's table. */
  private build(connection: Connection, topic: Topic, ctx: TickContext, initial: boolean): readonly string[] {
    const { channel } = topic;
    const sim: SimulationContext = {
      market: connection.market,
      now: ctx.now,
      initial,
      accountPushDue: ctx.accountPushDue,
      exchange: ctx.market,
      account: ctx.accountOf(connection.apiKey),
      events: ctx.events.get(connection.apiKey)?.[connection.market],
    };
    const frames = channel.simulate.frames(topic.params, sim);
    if (frames.length === 0) return NO_FRAMES;
    const dt = channel.dt[0];
    if (dt === undefined) throw new Error(`no dt for ${channel.id}`);
    return frames.map((frame) => encodeFrame(dt, channel.item, frame.d, this.nextForm(), frame.ts));
  }
}
