/**
 * The resume window's memory (issue 18): 20 busy trades topics, each holding
 * the default RESUME_MAX_EVENTS_PER_TOPIC (20 000) trades, in the in-memory
 * window (`src/hub/memory-window.ts`), appended as the hub appends them
 * (decoded trade records, frames of 5). Prints the live-heap growth after GC
 * in total and per retained trade, as JSON.
 *
 * Run alone: `npm run bench:resume-window` (node with --expose-gc;
 * `-- --trades=N` for N trades per topic). `npm run bench` runs it as its
 * `resume-window` section (`measureResumeWindow`: this file in a child
 * process, with --expose-gc, so that the bench's own heap stays out of it)
 * and reports it with `resumeWindowMarkdown`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import { LIMIT_SETTINGS } from '../src/lib/limits.ts';

const TOPICS = 20;
const FRAME = 5;
/** docs/memory.md's budget per retained trade. */
export const RESUME_WINDOW_BUDGET_BYTES_PER_TRADE = 512;

export interface ResumeWindowResult {
  readonly topics: number;
  readonly tradesPerTopic: number;
  readonly retained: number;
  readonly heapBytes: number;
  readonly heapMiB: number;
  readonly bytesPerTrade: number;
  readonly appendMs: number;
}

/** Fills a window and measures it (needs global.gc). */
function measure(tradesPerTopic: number): ResumeWindowResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:resume-window)');
  const heap = () => {
    for (let i = 0; i < 6; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  const window = createMemoryWindow({ maxTradesPerTopic: tradesPerTopic, windowMs: LIMIT_SETTINGS.resumeWindowMs.fallback });
  const before = heap();
  let seq = 0;
  const started = Date.now();
  for (let t = 0; t < TOPICS; t++) {
    const symbol = `BTCUSD-${t}-27MAY23-26000-C`;
    const topic = { channel: 'optionTrades', key: symbol };
    window.retain(topic, 0);
    for (let n = 0; n < tradesPerTopic; n += FRAME) {
      const frame = Array.from({ length: FRAME }, (_, i) => {
        seq++;
        const timestamp = 1_700_000_000_000 + seq;
        const price = (26_000 + (seq % 1000) / 10).toFixed(1);
        return { id: `${symbol}|${timestamp}|${price}|0.1|BUY|${i}`, symbol, price, volume: '0.1', side: 'BUY', timestamp };
      });
      window.append(topic, frame, Date.now());
    }
  }
  const appendMs = Date.now() - started;
  const bytes = heap() - before;
  const retained = TOPICS * tradesPerTopic;
  window.close();
  return {
    topics: TOPICS,
    tradesPerTopic,
    retained,
    heapBytes: bytes,
    heapMiB: Number((bytes / 1024 / 1024).toFixed(1)),
    bytesPerTrade: Math.round(bytes / retained),
    appendMs,
  };
}

const HERE = fileURLToPath(import.meta.url);

/** Runs this file in a child process (node --expose-gc through tsx) and reads its JSON. */
export function measureResumeWindow(tradesPerTopic: number = LIMIT_SETTINGS.resumeMaxEventsPerTopic.fallback): Promise<ResumeWindowResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', HERE, `--trades=${tradesPerTopic}`],
      { timeout: 300_000, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error !== null) return reject(error);
        try {
          resolve(JSON.parse(stdout) as ResumeWindowResult);
        } catch (parseError) {
          reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
        }
      },
    );
  });
}

/** The report's section. */
export function resumeWindowMarkdown(result: ResumeWindowResult): string {
  const within = result.bytesPerTrade <= RESUME_WINDOW_BUDGET_BYTES_PER_TRADE;
  return [
    '## The resume window’s memory (issue 18)',
    '',
    `bench/resume-window.ts in its own process (\`npm run bench:resume-window\` alone): ${result.topics} busy trades topics × ${result.tradesPerTopic.toLocaleString('en-US')} trades (RESUME_MAX_EVENTS_PER_TOPIC's default is ${LIMIT_SETTINGS.resumeMaxEventsPerTopic.fallback.toLocaleString('en-US')}) in the in-memory window, appended in frames of ${FRAME} as the hub appends them; live-heap growth after GC.`,
    '',
    '| topics | trades per topic | retained | heap | per trade | append time |',
    '|--:|--:|--:|--:|--:|--:|',
    `| ${result.topics} | ${result.tradesPerTopic.toLocaleString('en-US')} | ${result.retained.toLocaleString('en-US')} | ${result.heapMiB} MiB | ${result.bytesPerTrade} B | ${result.appendMs} ms |`,
    '',
    `Budget (docs/memory.md): about ${RESUME_WINDOW_BUDGET_BYTES_PER_TRADE} B per retained trade: ${within ? 'pass' : '**FAIL**'}.`,
    '',
  ].join('\n');
}

if (process.argv[1] === HERE) {
  const arg = process.argv.find((a) => a.startsWith('--trades='));
  const trades = arg === undefined ? LIMIT_SETTINGS.resumeMaxEventsPerTopic.fallback : Number(arg.slice('--trades='.length));
  if (!Number.isInteger(trades) || trades < FRAME) throw new Error(`--trades must be an integer ≥ ${FRAME}, got ${arg}`);
  console.log(JSON.stringify(measure(trades), null, 2));
}
