/**
 * The server under test, in its own process (forked by bench/run.ts with an
 * IPC channel), so its CPU and memory are its own:
 *
 *   gateway  the real gateway (startApp, upstream 'coincall' pointed at the firehose)
 *   gateway-nometrics  the same with METRICS=off (no /metrics, no counting for it)
 *   gateway-nofast  the gateway without the HTTP subscriptions' fast path (every request through yoga)
 *   relay    the raw `ws` baseline described below
 *
 * argv: <gateway|relay> <firehoseUrl> [cluster]. `cluster` (gateway only) is
 * JSON `{"natsUrl","name","nodeId"}`: the gateway is then one replica of a
 * cluster on that NATS (bench/cluster.ts), with the default lease TTL,
 * publishers and retention. Prints `{"port":N}` on stdout when
 * listening. IPC requests: {cmd:'stats'} -> {cpu, memory, extra},
 * {cmd:'gc'} -> {ok}, {cmd:'snapshot', path} -> a V8 heap snapshot at path, {cmd:'stop'} -> exits.
 *
 * The raw relay: one upstream connection per symbol to the firehose (signed
 * URL, one subscribe, heartbeat answered by the firehose), a `ws` server that
 * speaks just enough graphql-transport-ws (connection_init -> connection_ack,
 * subscribe -> register, complete -> unregister, ping -> pong). Per upstream
 * frame it does no parsing and no filtering: it splices the raw frame text
 * (all 20 levels, so it sends more bytes than the gateway's depth 10) into
 * `{"id":<id>,"type":"next","payload":{"data":{"futuresOrderBook":<frame>}}}`,
 * builds that Buffer once per distinct subscription id (the bench's clients all
 * use id "1", so once per frame) and writes the same Buffer to every socket.
 * A socket with more than RELAY_MAX_BUFFERED bytes queued is skipped for that
 * frame (the drop a raw relay would do for a slow reader).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { signedUrl } from '../src/coincall/signing.ts';

const RELAY_MAX_BUFFERED = 1 << 20;
const [mode, firehoseUrl, clusterArg] = process.argv.slice(2);
const GATEWAYS = ['gateway', 'gateway-nometrics', 'gateway-nofast'];
if ((!GATEWAYS.includes(mode ?? '') && mode !== 'relay') || firehoseUrl === undefined) {
  console.error('usage: server-process.ts <gateway|gateway-nometrics|gateway-nofast|relay> <firehoseUrl> [cluster]');
  process.exit(2);
}

// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));

let extra: () => Record<string, number> = () => ({});
let port: number;

if (GATEWAYS.includes(mode ?? '')) {
  const { startApp } = await import('../src/app.ts');
  const { silentLogger } = await import('../src/lib/logger.ts');
  const { DEFAULT_LIMITS, LIMIT_SETTINGS } = await import('../src/lib/limits.ts');
  const clusterConfig = await import('../src/lib/cluster-config.ts');
  const named = clusterArg === undefined ? undefined : (JSON.parse(clusterArg) as { natsUrl: string; name: string; nodeId: string });
  const cluster =
    named === undefined
      ? undefined
      : {
          ...named,
          leaseTtlMs: clusterConfig.DEFAULT_CLUSTER_LEASE_TTL_MS,
          eventPublishers: clusterConfig.DEFAULT_CLUSTER_EVENT_PUBLISHERS,
          retentionMs: clusterConfig.DEFAULT_RESUME_WINDOW_MS,
          maxEventsPerTopic: clusterConfig.DEFAULT_RESUME_MAX_EVENTS_PER_TOPIC,
        };
  const app = await startApp({
    config: {
      port: 0,
      host: '127.0.0.1',
      upstream: 'coincall',
      optionsWsUrl: `${firehoseUrl}/options`,
      futuresWsUrl: `${firehoseUrl}/futures`,
      apiKey: 'bench-key',
      apiSecret: 'bench-secret',
      logLevel: 'silent',
      metrics: mode !== 'gateway-nometrics',
      // Every bench client comes from 127.0.0.1: the per-address cap would admit only its first 200 sockets.
      limits: { ...DEFAULT_LIMITS, maxConnectionsPerIp: LIMIT_SETTINGS.maxConnectionsPerIp.max },
      ...(cluster === undefined ? {} : { cluster }),
    },
    logger: silentLogger,
    ...(mode === 'gateway-nofast' ? { httpFastPath: false } : {}),
  });
  port = app.port;
  extra = () => {
    const { deliveries, conflated, tooSlow } = app.fanout.stats();
    return { deliveries, conflated, tooSlow, fastPathJoined: app.fastPath?.joined ?? 0 };
  };
} else {
  port = await startRelay(firehoseUrl);
}

process.on('message', (message: { cmd: string; seq: number; path?: string }) => {
  const reply = (body: object) => process.send?.({ seq: message.seq, ...body });
  switch (message.cmd) {
    case 'stats':
      reply({ cpu: process.cpuUsage(), memory: process.memoryUsage(), extra: extra() });
      break;
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      (globalThis as { gc?: () => void }).gc?.();
      reply({ ok: true });
      break;
    case 'snapshot':
      if (message.path !== undefined) {
        mkdirSync(dirname(message.path), { recursive: true });
        writeHeapSnapshot(message.path);
      }
      reply({ ok: true });
      break;
    case 'stop':
      process.exit(0);
  }
});
process.stdout.write(`${JSON.stringify({ port })}\n`);

async function startRelay(upstreamBase: string): Promise<number> {
  interface Sub {
    readonly socket: WebSocket;
    readonly id: string;
  }
  const subsBySymbol = new Map<string, Set<Sub>>();
  const upstreams = new Map<string, WebSocket>();
  let skipped = 0;
  extra = () => ({ relaySkippedForBackpressure: skipped, relayMaxBuffered: maxBuffered() });
  const maxBuffered = () => {
    let max = 0;
    for (const set of subsBySymbol.values()) for (const s of set) max = Math.max(max, s.socket.bufferedAmount);
    return max;
  };

  const head = '{"id":"';
  const middle = '","type":"next","payload":{"data":{"futuresOrderBook":';
  const tail = '}}}';

  const openUpstream = (symbol: string) => {
    const ws = new WebSocket(signedUrl(`${upstreamBase}/futures`, { apiKey: 'bench-key', apiSecret: 'bench-secret' }, Date.now()), {
      perMessageDeflate: false,
    });
    upstreams.set(symbol, ws);
    ws.on('error', () => undefined);
    ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', dataType: 'orderBook', payload: { symbol } })));
    ws.on('message', (data) => {
      const text = String(data);
      if (!text.startsWith('{"dt":')) return; // acks, heartbeats
      const subs = subsBySymbol.get(symbol);
      if (subs === undefined) return;
      const byId = new Map<string, Buffer>();
      for (const sub of subs) {
        if (sub.socket.bufferedAmount > RELAY_MAX_BUFFERED) {
          skipped++;
          continue;
        }
        let buffer = byId.get(sub.id);
        if (buffer === undefined) byId.set(sub.id, (buffer = Buffer.from(head + sub.id + middle + text + tail)));
        sub.socket.send(buffer, { binary: false });
      }
    });
  };

  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/graphql', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const mine: Array<{ symbol: string; sub: Sub }> = [];
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      let message: { type?: string; id?: string; payload?: { variables?: { symbol?: string } } };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        socket.close(4400, 'bad message');
        return;
      }
      if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (message.type === 'ping') socket.send('{"type":"pong"}');
      else if (message.type === 'subscribe' && typeof message.id === 'string') {
        const symbol = message.payload?.variables?.symbol ?? 'BTCUSD';
        const sub = { socket, id: message.id };
        let set = subsBySymbol.get(symbol);
        if (set === undefined) subsBySymbol.set(symbol, (set = new Set()));
        set.add(sub);
        mine.push({ symbol, sub });
        if (!upstreams.has(symbol)) openUpstream(symbol);
      } else if (message.type === 'complete') {
        for (const m of mine) if (m.sub.id === message.id) subsBySymbol.get(m.symbol)?.delete(m.sub);
      }
    });
    socket.on('close', () => {
      for (const m of mine) subsBySymbol.get(m.symbol)?.delete(m.sub);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}
