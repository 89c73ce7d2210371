/**
 * The subscribers, in their own process (forked by bench/run.ts with IPC), so
 * their cost is not counted as the server's. Each is a plain `ws` socket that
 * speaks graphql-transport-ws (connection_init, then one subscribe with id "1"
 * to futuresOrderBook(symbol, depth: 10)); plain `ws` is cheaper per message
 * than the graphql-ws client, which keeps the measuring side out of the way.
 * With `transport: 'sse'` or `'multipart'` each is an HTTP POST instead
 * (`http-clients.ts`), reading Server-Sent Events or Apollo's multipart parts.
 *
 * Latency = receive time (Date.now()) minus the book's time, read without a
 * full JSON.parse: the gateway's `"timestamp":"<ISO>"` or the raw frame's
 * `"ts":<ms>`. Latencies go into a fixed 1 ms histogram (no per-message arrays).
 *
 * IPC: {cmd:'start', ...StartOptions} -> {type:'started', ...} (again: opens more),
 * {cmd:'drop', n} closes the last n opened, {cmd:'reset'}
 * (opens a measurement window) -> {type:'reset'}, {cmd:'report'} -> the
 * window's counts and histogram, {cmd:'stop'} -> exits.
 */
import WebSocket from 'ws';
import { openHttpSubscriber, type HttpTransport } from './http-clients.ts';
import { bookTime, percentile } from './latency.ts';

interface StartOptions {
  readonly url: string;
  readonly n: number;
  readonly symbols: readonly string[];
  readonly depth: number;
  /** Index of a client that stops reading once subscribed (-1: none). */
  readonly slowIndex: number;
  /** Connections opening at once. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Another subscription document (default: the order book); its variables get `symbol` and `depth`, plus `variables`. */
  readonly query?: string;
  readonly variables?: Readonly<Record<string, unknown>>;
  /** How to subscribe (default graphql-ws). */
  readonly transport?: 'ws' | HttpTransport;
}

/** One subscriber's connection, whatever its transport. */
interface Connection {
  isOpen(): boolean;
  terminate(): void;
}

const QUERY =
  'subscription FuturesOrderBook($symbol: String!, $depth: Int) { futuresOrderBook(symbol: $symbol, depth: $depth) { symbol timestamp bids { price volume } asks { price volume } } }';

const HIST_MAX_MS = 30_000;
const histogram = new Uint32Array(HIST_MAX_MS + 1);
let delivered = 0;
let bytes = 0;
let negative = 0;
let unparsed = 0;
let errors = 0;
let closedEarly = 0;
const errorSamples: string[] = [];
const sockets: Connection[] = [];
/** `next` messages per client since the last reset, by index in `sockets`. */
let perClient: number[] = [];
/** Clients that got an explicit end since the last reset: an `error` or `complete` message, or a close. */
let explicitEnds = 0;

process.on('disconnect', () => process.exit(0));

function record(latency: number): void {
  if (latency < 0) {
    negative++;
    latency = 0;
  }
  histogram[latency > HIST_MAX_MS ? HIST_MAX_MS : latency]!++;
}

async function start(o: StartOptions): Promise<object> {
  const began = Date.now();
  let acked = 0;
  let firstMessages = 0;
  let lastAckAt = 0;
  let lastFirstAt = 0;
  let failedConnect = 0;
  let index = 0;
  let inFlight = 0;

  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, o.timeoutMs);
    const maybeDone = () => {
      if (firstMessages + failedConnect >= o.n) {
        clearTimeout(deadline);
        resolve();
      }
    };
    const openNext = () => {
      while (inFlight < o.concurrency && index < o.n) {
        const i = index++;
        inFlight++;
        const symbol = o.symbols[i % o.symbols.length] as string;
        const slow = i === o.slowIndex;
        let gotFirst = false;
        let settled = false;
        const settle = () => {
          if (settled) return;
          settled = true;
          inFlight--;
          openNext();
        };
        const variables = { symbol, depth: o.depth, ...o.variables };
        if (o.transport === 'sse' || o.transport === 'multipart') {
          let slot = -1;
          const http = openHttpSubscriber(o.url, o.transport, JSON.stringify({ query: o.query ?? QUERY, variables }), {
            accepted: () => {
              acked++;
              lastAckAt = Date.now();
            },
            next: (json) => {
              if (!gotFirst) {
                gotFirst = true;
                firstMessages++;
                lastFirstAt = Date.now();
                settle();
                maybeDone();
                if (slow) http.pause();
                return;
              }
              if (slow) return;
              const t = bookTime(json);
              if (t === undefined || Number.isNaN(t)) {
                unparsed++;
                return;
              }
              delivered++;
              perClient[slot] = (perClient[slot] ?? 0) + 1;
              bytes += json.length;
              record(Date.now() - t);
            },
            ended: (why) => {
              if (!gotFirst) return;
              closedEarly++;
              explicitEnds++;
              if (errorSamples.length < 5) errorSamples.push(`ended: ${why}`);
            },
            failed: (error) => {
              if (settled) return;
              failedConnect++;
              if (errorSamples.length < 5) errorSamples.push(`connect: ${error.message}`);
              settle();
              maybeDone();
            },
          });
          slot = sockets.push(http) - 1;
          continue;
        }
        const ws = new WebSocket(o.url, 'graphql-transport-ws', { perMessageDeflate: false });
        const slot = sockets.push({ isOpen: () => ws.readyState === WebSocket.OPEN, terminate: () => ws.terminate() }) - 1;
        ws.on('open', () => ws.send('{"type":"connection_init","payload":{}}'));
        ws.on('error', (error) => {
          if (!settled) {
            failedConnect++;
            if (errorSamples.length < 5) errorSamples.push(`connect: ${error.message}`);
            settle();
            maybeDone();
          }
        });
        ws.on('close', () => {
          if (gotFirst) {
            closedEarly++;
            explicitEnds++;
          }
        });
        ws.on('message', (data) => {
          const text = String(data);
          if (!gotFirst) {
            if (text.startsWith('{"type":"connection_ack"')) {
              acked++;
              lastAckAt = Date.now();
              ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: o.query ?? QUERY, variables } }));
              return;
            }
            if (text.includes('"type":"ping"')) {
              ws.send('{"type":"pong"}');
              return;
            }
            if (!text.includes('"type":"next"')) {
              errors++;
              if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
              return;
            }
            gotFirst = true;
            firstMessages++;
            lastFirstAt = Date.now();
            settle();
            maybeDone();
            if (slow) {
              // Stop reading: the kernel buffers fill, then the server's.
              (ws as unknown as { _socket: { pause(): void } })._socket.pause();
              return;
            }
          }
          if (slow) return;
          // Steady state: count and time `next` messages; anything else is an error.
          const t = text.charCodeAt(2) === 105 /* {"id" */ ? bookTime(text) : undefined;
          if (t === undefined || Number.isNaN(t)) {
            if (text.includes('"type":"ping"')) ws.send('{"type":"pong"}');
            else if (!text.includes('"type":"pong"')) {
              if (text.includes('"type":"next"')) unparsed++;
              else {
                errors++;
                if (text.includes('"type":"error"') || text.includes('"type":"complete"')) explicitEnds++;
                if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
              }
            }
            return;
          }
          delivered++;
          perClient[slot] = (perClient[slot] ?? 0) + 1;
          bytes += text.length;
          record(Date.now() - t);
        });
      }
    };
    openNext();
  });
  return {
    type: 'started',
    requested: o.n,
    acked,
    subscribed: firstMessages,
    failedConnect,
    allAckedMs: acked === o.n ? lastAckAt - began : null,
    allSubscribedMs: firstMessages === o.n ? lastFirstAt - began : null,
    elapsedMs: Date.now() - began,
    errors,
    errorSamples,
  };
}

let windowStart = Date.now();
let cpuStart = process.cpuUsage();

process.on('message', (message: { cmd: string; seq: number } & StartOptions) => {
  const reply = (body: object) => process.send?.({ seq: message.seq, ...body });
  switch (message.cmd) {
    case 'start':
      void start(message).then(reply);
      break;
    case 'reset':
      histogram.fill(0);
      delivered = bytes = negative = unparsed = errors = closedEarly = explicitEnds = 0;
      perClient = sockets.map(() => 0);
      errorSamples.length = 0;
      windowStart = Date.now();
      cpuStart = process.cpuUsage();
      reply({ type: 'reset' });
      break;
    case 'report': {
      const cpu = process.cpuUsage(cpuStart);
      const open = sockets.filter((s) => s.isOpen()).length;
      reply({
        type: 'report',
        windowMs: Date.now() - windowStart,
        delivered,
        bytes,
        p50: percentile(histogram, delivered, 0.5),
        p90: percentile(histogram, delivered, 0.9),
        p99: percentile(histogram, delivered, 0.99),
        max: percentile(histogram, delivered, 1),
        negative,
        unparsed,
        errors,
        errorSamples,
        closedEarly,
        explicitEnds,
        perClientMin: perClient.length === 0 ? 0 : Math.min(...perClient.map((n) => n ?? 0)),
        perClientMax: perClient.length === 0 ? 0 : Math.max(...perClient.map((n) => n ?? 0)),
        open,
        clientCpuS: (cpu.user + cpu.system) / 1e6,
      });
      break;
    }
    case 'drop': {
      // Closes the last n sockets opened (the extra ones of a memory step).
      const n = Math.min(message.n, sockets.length);
      for (const s of sockets.splice(sockets.length - n, n)) s.terminate();
      reply({ type: 'dropped', n });
      break;
    }
    case 'stop':
      for (const s of sockets) s.terminate();
      process.exit(0);
  }
});
process.send?.({ seq: 0, type: 'ready' });
