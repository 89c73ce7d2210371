/**
 * Credentials for the engine, taken from `CLUSTER_NATS_URL` as operators write
 * them (`nats://user:password@host:4222`, or `nats://token@host:4222`): the
 * NATS client reads none from a URL, so they are passed as its options, and
 * the servers it is given (and anything that prints them) carry none.
 */
export interface NatsAuth {
  /** The servers without their credentials. */
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

/** The URL without its credentials; as given when it is no URL. */
export function withoutCredentials(server: string): string {
  try {
    const url = new URL(server);
    if (url.username === '' && url.password === '') return server;
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return server;
  }
}

/** The servers of a comma-separated list and the first credentials any of them carries. */
export function natsAuth(servers: string): NatsAuth {
  const list = servers.split(',').map((s) => s.trim());
  for (const server of list) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      continue;
    }
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const bare = list.map(withoutCredentials);
    if (user !== '' && pass !== '') return { servers: bare, user, pass };
    if (user !== '') return { servers: bare, token: user };
  }
  return { servers: list };
}
