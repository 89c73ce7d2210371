/**
 * The server gates against one client taking the others' share (issue 10):
 * MAX_CONNECTIONS_PER_IP over WebSockets, SSE and sockets still in their
 * HTTP handshake (a second address is still served while the first is at its
 * cap), TRUST_PROXY deciding when X-Forwarded-For is believed, deliberate
 * HTTP timeouts for headers sent byte by byte, idle graphql-ws sockets
 * closed, and an oversized graphql-ws message explained in its close reason.
 */
import { Agent, IncomingMessage, request } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type GatewayLimits } from '../src/lib/limits.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { clientAddress, recordClientAddress, resolveClientAddress, trustedProxies } from '../src/server/gates/client-address.ts';
import { createGatewayServer } from '../src/server/gateway-server.ts';
import type { Upstream } from '../src/sources/coincall/coincall-source.ts';
import { closeOf, httpFrom, openWs, tcpFrom } from './helpers/address-clients.ts';
import { disposeAll, onDispose, sleep, startTestGateway, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const limited = (overrides: Partial<GatewayLimits>): GatewayLimits => ({ ...DEFAULT_LIMITS, ...overrides });
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { price } }';
const sseRequest = {
  method: 'POST',
  path: '/graphql',
  headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
  body: JSON.stringify({ query: TRADES }),
};

describe('MAX_CONNECTIONS_PER_IP', () => {
  it('refuses one address beyond its cap while a second address is still served on WebSocket, SSE and GET', async () => {
    const gateway = await startTestGateway({ config: { limits: limited({ maxConnectionsPerIp: 3 }) } });
    const held = await Promise.all([1, 2, 3].map(() => openWs(gateway.wsUrl, '127.0.0.1')));
    expect(held.every((outcome) => outcome.open)).toBe(true);

    const ws = await openWs(gateway.wsUrl, '127.0.0.1');
    expect(ws.open ? 'open' : ws.status).toBe(503);
    expect(ws.open ? '' : ws.body).toContain('MAX_CONNECTIONS_PER_IP');
    const get = await httpFrom(gateway.port, '127.0.0.1', {
      path: '/graphql?query=%7B__typename%7D',
      headers: { accept: 'application/json' },
    });
    expect(get.status).toBe(503);
    expect(JSON.parse(get.body)).toMatchObject({ errors: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    expect((await httpFrom(gateway.port, '127.0.0.1', sseRequest)).status).toBe(503);

    const other = await openWs(gateway.wsUrl, '127.0.0.2');
    expect(other.open).toBe(true);
    const stream = await httpFrom(gateway.port, '127.0.0.2', sseRequest);
    expect([stream.status, stream.headers['content-type']]).toEqual([200, 'text/event-stream']);
    const query = await httpFrom(gateway.port, '127.0.0.2', {
      path: '/graphql?query=%7B__typename%7D',
      headers: { accept: 'application/json' },
    });
    expect([query.status, query.body]).toEqual([200, '{"data":{"__typename":"Query"}}']);

    // A slot freed is a slot for the same address again.
    const first = held[0];
    if (first?.open === true) first.socket.close();
    let again = await openWs(gateway.wsUrl, '127.0.0.1');
    for (let attempt = 0; !again.open && attempt < 50; attempt += 1) {
      await sleep(20);
      again = await openWs(gateway.wsUrl, '127.0.0.1');
    }
    expect(again.open).toBe(true);
  });
});

describe('MAX_CONNECTIONS_PER_IP and keep-alive', () => {
  it("gives an idle keep-alive socket's slot to the same address's next connection; a stream's is never taken", async () => {
    const gateway = await startTestGateway({ config: { limits: limited({ maxConnectionsPerIp: 2 }) } });
    // A browser's pooled connection: one query, then the socket waits idle for the next (keep-alive).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    onDispose(() => agent.destroy());
    const pooled = await new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: gateway.port,
          localAddress: '127.0.0.1',
          agent,
          path: '/graphql?query=%7B__typename%7D',
          headers: { accept: 'application/json' },
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket ?? new Socket() }));
        },
      );
      req.once('error', reject);
      req.end();
    });
    expect(pooled.status).toBe(200);
    const stream = await httpFrom(gateway.port, '127.0.0.1', sseRequest);
    expect(stream.status).toBe(200);

    // At the cap (the idle socket and the stream): the idle one goes, the WebSocket comes in.
    expect(pooled.socket.destroyed).toBe(false);
    const ws = await openWs(gateway.wsUrl, '127.0.0.1');
    expect(ws.open ? 'open' : ws.status).toBe('open');
    await waitFor(() => pooled.socket.destroyed, 'the idle keep-alive socket closed by the gateway');

    // Now both slots are a stream and a WebSocket: the next is refused.
    const refused = await openWs(gateway.wsUrl, '127.0.0.1');
    expect(refused.open ? 'open' : refused.status).toBe(503);
  });
});

describe('MAX_CONNECTIONS_PER_IP and a keep-alive socket upgraded', () => {
  it('never takes the slot of a keep-alive socket that became a WebSocket', async () => {
    const gateway = await startTestGateway({ config: { limits: limited({ maxConnectionsPerIp: 2 }) } });
    const socket = await tcpFrom(gateway.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += String(chunk)));
    const host = `127.0.0.1:${gateway.port}`;
    // One query on the connection (kept alive), then the same connection upgrades to graphql-ws.
    socket.write(`GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\n\r\n`);
    await waitFor(() => received.includes('"__typename":"Query"'), 'the query answered on the kept-alive connection');
    socket.write(
      `GET /graphql HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
    );
    await waitFor(() => received.includes('101 Switching Protocols'), 'the upgrade');
    expect((await openWs(gateway.wsUrl, '127.0.0.1')).open).toBe(true);
    // Both slots are WebSockets now: the next is refused, the upgraded one lives on.
    const refused = await openWs(gateway.wsUrl, '127.0.0.1');
    expect(refused.open ? 'open' : refused.status).toBe(503);
    expect(socket.destroyed).toBe(false);
  });
});

describe('TRUST_PROXY', () => {
  it('reads the rightmost untrusted X-Forwarded-For address, and only when the peer is a trusted proxy', () => {
    const trusted = trustedProxies(['10.0.0.0/8', '127.0.0.1']);
    expect(resolveClientAddress('127.0.0.1', '203.0.113.9, 198.51.100.4, 10.1.2.3', trusted)).toBe('198.51.100.4');
    expect(resolveClientAddress('::ffff:127.0.0.1', '203.0.113.9', trusted)).toBe('203.0.113.9');
    expect(resolveClientAddress('192.0.2.7', '203.0.113.9', trusted)).toBe('192.0.2.7');
    expect(resolveClientAddress('127.0.0.1', undefined, trusted)).toBe('127.0.0.1');
    expect(resolveClientAddress('127.0.0.1', '10.0.0.1, 10.0.0.2', trusted)).toBe('10.0.0.1');
    expect(resolveClientAddress('127.0.0.1', 'not-an-ip, 10.0.0.2', trusted)).toBe('10.0.0.2');
    expect(resolveClientAddress('127.0.0.1', '203.0.113.9', trustedProxies([]))).toBe('127.0.0.1');
  });

  it('remembers the address the gates resolved for later readers (clientAddress)', () => {
    const socket = new Socket();
    Object.defineProperty(socket, 'remoteAddress', { value: '::ffff:127.0.0.1' });
    const req = new IncomingMessage(socket);
    req.headers['x-forwarded-for'] = '198.51.100.4';
    expect(clientAddress(req)).toBe('127.0.0.1');
    expect(recordClientAddress(req, trustedProxies(['127.0.0.1']))).toBe('198.51.100.4');
    expect(clientAddress(req)).toBe('198.51.100.4');
  });

  it('counts clients behind a trusted proxy by their forwarded address, and ignores the header from anyone else', async () => {
    const gateway = await startTestGateway({ config: { trustProxy: ['127.0.0.1'], limits: limited({ maxConnectionsPerIp: 1 }) } });
    const behind = (address: string) => openWs(gateway.wsUrl, '127.0.0.1', { 'x-forwarded-for': address });
    expect((await behind('203.0.113.5')).open).toBe(true);
    const again = await behind('203.0.113.5');
    expect(again.open ? 'open' : again.status).toBe(503);
    expect((await behind('203.0.113.6')).open).toBe(true);

    // 127.0.0.2 is no proxy: its header is not believed, and its own address is at its cap.
    expect((await openWs(gateway.wsUrl, '127.0.0.2', { 'x-forwarded-for': '203.0.113.7' })).open).toBe(true);
    const spoofed = await openWs(gateway.wsUrl, '127.0.0.2', { 'x-forwarded-for': '203.0.113.8' });
    expect(spoofed.open ? 'open' : spoofed.status).toBe(503);
  });
});

const unused = (): never => {
  throw new Error('not used');
};

/** The server alone (no upstream), with short HTTP timeouts. */
async function serverWithTimeouts(limits: GatewayLimits, headersTimeoutMs: number): Promise<number> {
  const upstream: Upstream = {
    subscribe: unused,
    snapshot: unused,
    status: unused,
    ready: () => true,
    onChange: () => () => undefined,
    close: async () => undefined,
  };
  const sharing = () => ({ groups: 0, members: 0, executions: 0, deliveries: 0, conflated: 0, tooSlow: 0 });
  const server = createGatewayServer({
    schema: gatewaySchema(),
    context: { upstream, now: Date.now, mode: 'SIMULATED', version: 'test', startedAt: 0, sharing },
    logger: silentLogger,
    graphiql: { operations: [], now: Date.now, examples: { variables: () => ({}), isPrivate: () => false } },
    ready: () => true,
    limits,
    httpTimeouts: { headersTimeoutMs, requestTimeoutMs: headersTimeoutMs * 2, keepAliveTimeoutMs: 1_000, checkIntervalMs: 50 },
  });
  onDispose(() => server.close());
  return server.listen(0, '127.0.0.1');
}

describe('HTTP timeouts', () => {
  it('closes headers sent byte by byte within the headers timeout, counting the socket meanwhile', async () => {
    const headersTimeoutMs = 500;
    const port = await serverWithTimeouts(limited({ maxConnectionsPerIp: 2 }), headersTimeoutMs);
    const started = Date.now();
    const slow = await Promise.all([tcpFrom(port, '127.0.0.1'), tcpFrom(port, '127.0.0.1')]);
    const closed = slow.map((socket) => new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started))));
    const drip = setInterval(() => slow.forEach((socket) => socket.writable && socket.write('X')), 50);
    onDispose(() => clearInterval(drip));
    for (const socket of slow) socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');

    // Still in their handshake, they hold the address's two slots.
    expect((await httpFrom(port, '127.0.0.1', { path: '/health' })).status).toBe(503);
    expect((await httpFrom(port, '127.0.0.2', { path: '/health' })).status).toBe(200);

    const [a = Infinity, b = Infinity] = await Promise.all(closed);
    expect(Math.max(a, b)).toBeLessThan(headersTimeoutMs + 1_500);
    clearInterval(drip);
    expect((await httpFrom(port, '127.0.0.1', { path: '/health' })).status).toBe(200);
  });
});

describe('graphql-ws socket limits', () => {
  it('closes a socket that subscribes to nothing after IDLE_CONNECTION_TIMEOUT_MS, and keeps one that streams', async () => {
    const idleMs = 300;
    const gateway = await startTestGateway({ config: { limits: limited({ idleConnectionTimeoutMs: idleMs }) } });
    const idle = await openWs(gateway.wsUrl, '127.0.0.1');
    const busy = await openWs(gateway.wsUrl, '127.0.0.1');
    if (!idle.open || !busy.open) throw new Error('sockets refused');
    const acked = (socket: typeof busy.socket) => new Promise<void>((resolve) => socket.once('message', () => resolve()));
    const idleAcked = acked(idle.socket);
    const busyAcked = acked(busy.socket);
    idle.socket.send(JSON.stringify({ type: 'connection_init' }));
    busy.socket.send(JSON.stringify({ type: 'connection_init' }));
    await Promise.all([idleAcked, busyAcked]);
    const started = Date.now();
    const idleClosed = closeOf(idle.socket);
    const busyClosed = closeOf(busy.socket);
    let events = 0;
    busy.socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'next') events += 1;
    });
    busy.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: TRADES } }));

    const closed = await idleClosed;
    expect(closed).toEqual({ code: 1000, reason: `Closed after ${idleMs} ms without a subscription (IDLE_CONNECTION_TIMEOUT_MS).` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(idleMs - 50);

    await sleep(idleMs * 3);
    expect(busy.socket.readyState).toBe(busy.socket.OPEN);
    await waitFor(() => events > 0, 'a trade on the busy socket');
    // Once its subscription completes, it is idle too.
    busy.socket.send(JSON.stringify({ id: '1', type: 'complete' }));
    expect((await busyClosed).code).toBe(1000);
  });

  it('closes a socket that sends an oversized message with 1009 and a reason naming WS_MAX_MESSAGE_BYTES', async () => {
    const gateway = await startTestGateway({ config: { limits: limited({ wsMaxMessageBytes: 1024 }) } });
    const outcome = await openWs(gateway.wsUrl, '127.0.0.1');
    if (!outcome.open) throw new Error('socket refused');
    const closed = closeOf(outcome.socket);
    outcome.socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(2_000) } }));
    expect(await closed).toEqual({ code: 1009, reason: 'Message too big: the limit is 1024 bytes (WS_MAX_MESSAGE_BYTES).' });
  });
});
