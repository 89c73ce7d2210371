/**
 * The resume window's memory (issue 18): 20 busy trades topics, each holding
 * the default RESUME_MAX_EVENTS_PER_TOPIC (20 000) trades, in the in-memory
 * window (`src/hub/memory-window.ts`), appended as the hub appends them
 * (decoded trade records, frames of 5). Prints the live-heap growth after GC
 * in total and per retained trade. Run: `npm run bench:resume-window`
 * (node with --expose-gc); it is kept apart from `npm run bench` so that
 * neither waits for the other.
 */
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import { LIMIT_SETTINGS } from '../src/lib/limits.ts';

const TOPICS = 20;
const TRADES = LIMIT_SETTINGS.resumeMaxEventsPerTopic.fallback;
const FRAME = 5;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:resume-window)');
const heap = () => {
  for (let i = 0; i < 6; i++) gc();
  return process.memoryUsage().heapUsed;
};

const window = createMemoryWindow({ maxTradesPerTopic: TRADES, windowMs: LIMIT_SETTINGS.resumeWindowMs.fallback });
const before = heap();
let seq = 0;
const started = Date.now();
for (let t = 0; t < TOPICS; t++) {
  const symbol = `BTCUSD-${t}-27MAY23-26000-C`;
  const topic = { channel: 'optionTrades', key: symbol };
  window.retain(topic, 0);
  for (let n = 0; n < TRADES; n += FRAME) {
    const frame = Array.from({ length: FRAME }, (_, i) => {
      seq++;
      const timestamp = 1_700_000_000_000 + seq;
      const price = (26_000 + (seq % 1000) / 10).toFixed(1);
      return { id: `${symbol}|${timestamp}|${price}|0.1|BUY|${i}`, symbol, price, volume: '0.1', side: 'BUY', timestamp };
    });
    window.append(topic, frame, Date.now());
  }
}
const elapsedMs = Date.now() - started;
const after = heap();
const retained = TOPICS * TRADES;
const bytes = after - before;
console.log(
  JSON.stringify(
    {
      topics: TOPICS,
      tradesPerTopic: TRADES,
      retained,
      heapBytes: bytes,
      heapMiB: Number((bytes / 1024 / 1024).toFixed(1)),
      bytesPerTrade: Math.round(bytes / retained),
      appendMs: elapsedMs,
    },
    null,
    2,
  ),
);
window.close();
