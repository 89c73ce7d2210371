/**
 * A TCP relay between one replica and the test's nats-server (loopback, port
 * 0), for tests that freeze a replica with a write in flight: `hold()` keeps
 * what the replica sends (the server gets none of it) until `release()` hands
 * it over at once, late, as a network that stalled would. The test reads
 * what is held (`held()`: the replica's protocol text, to find a write in it)
 * and what the server sent back since the release (`answers()`: the engine's
 * reply to that write). Closed when the test is disposed.
 */
import { connect, createServer, type Socket } from 'node:net';
import { onDispose } from './gateway.ts';

export interface NatsLink {
  /** `nats://127.0.0.1:PORT`: give it to the replica as its CLUSTER_NATS_URL. */
  readonly url: string;
  /** From now on, keep what the replica sends instead of passing it on. */
  hold(): void;
  /** Passes on everything held (in order) and stops holding; what the server answers from now on is kept (`answers`). */
  release(): void;
  /** What the replica sent while held, as text. */
  held(): string;
  /** What the server sent the replica since the last `release()`, as text. */
  answers(): string;
}

interface Pair {
  readonly replica: Socket;
  readonly server: Socket;
  readonly held: Buffer[];
}

export async function startNatsLink(serverUrl: string): Promise<NatsLink> {
  const target = new URL(serverUrl);
  const pairs = new Set<Pair>();
  let holding = false;
  let recording = false;
  let answered = '';

  const relay = createServer((replica) => {
    const server = connect(Number(target.port), target.hostname);
    const pair: Pair = { replica, server, held: [] };
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      replica.destroy();
      server.destroy();
    };
    replica.on('data', (chunk: Buffer) => (holding ? pair.held.push(chunk) : server.write(chunk)));
    server.on('data', (chunk: Buffer) => {
      if (recording) answered += chunk.toString('latin1');
      replica.write(chunk);
    });
    for (const socket of [replica, server]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  onDispose(
    () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.replica.destroy();
          pair.server.destroy();
        }
        relay.close(() => resolve());
      }),
  );
  const address = relay.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `nats://127.0.0.1:${port}`,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      recording = true;
      answered = '';
      for (const pair of pairs) for (const chunk of pair.held.splice(0)) pair.server.write(chunk);
    },
    held: () => [...pairs].map((pair) => Buffer.concat(pair.held).toString('latin1')).join(''),
    answers: () => answered,
  };
}
