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

/** A URL's user or password as written, percent-escapes decoded where they are escapes (a bare `%` stays). */
function unescaped(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The servers of a comma-separated list, never with their credentials, and the first credentials any of them carries. */
export function natsAuth(servers: string): NatsAuth {
  const list = servers.split(',').map((s) => s.trim());
  const bare = list.map(withoutCredentials);
  for (const server of list) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      continue;
    }
    const user = unescaped(url.username);
    const pass = unescaped(url.password);
    if (user !== '' && pass !== '') return { servers: bare, user, pass };
    // One secret alone, before or after the colon, is a token.
    if (user !== '' || pass !== '') return { servers: bare, token: user !== '' ? user : pass };
  }
  return { servers: bare };
}
