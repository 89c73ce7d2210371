/**
 * What this process's own upstream received lately of a public trades topic,
 * read from its resume window: the trades (oldest first) and the gaps the
 * upstream had among them. A cluster holder's catch-up stores the trades the
 * engine may have lost, and marks those gaps rather than filling around them.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { ResumeWindow } from '../../hub/resume-window.ts';

export interface RecentMemory {
  recentTrades(channel: AnyChannel, key: string, limit: number): Promise<readonly unknown[]>;
  recentGaps(channel: AnyChannel, key: string, since: number): Promise<ReadonlyArray<{ readonly since: number; readonly until: number }>>;
}

export function recentMemory(window: ResumeWindow): RecentMemory {
  const kept = (channel: AnyChannel) => channel.access === 'public' && channel.resumable === true;
  return {
    async recentTrades(channel, key, limit) {
      if (!kept(channel)) return [];
      const newest = await window.newest({ channel: channel.id, key }, limit);
      return newest.map((entry) => entry.trade).reverse();
    },
    async recentGaps(channel, key, since) {
      if (!kept(channel)) return [];
      const read = await window.after({ channel: channel.id, key }, window.epoch, 0);
      return read.entries.flatMap((e) => (e.kind === 'gap' && e.until > since ? [{ since: e.since, until: e.until }] : []));
    },
  };
}
