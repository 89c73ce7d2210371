/**
 * The GraphQL parameters of an HTTP subscription read at the Node `http`
 * level, for the fast path (`fast-subscribe.ts`): a GET's query string or a
 * POST's JSON body with `query`, `operationName` and `variables`. Only the
 * plain forms are read; anything else (another parameter such as
 * `documentId`, a persisted query hash, a body of another type, without a
 * length or larger than FAST_PATH_MAX_BODY_BYTES, a batch, malformed JSON,
 * a `query` that is not a string) is `undefined`: yoga reads the request
 * instead and answers it as it always did. A POST body that was read is kept
 * on the request (`req.body`), where yoga's Node adapter takes it from.
 */
import type { IncomingMessage } from 'node:http';
import { FAST_PATH_MAX_BODY_BYTES } from '../../lib/fast-path-limits.ts';

/** What identifies a subscription's operation. */
export interface FastParams {
  readonly query: string;
  readonly operationName: string | undefined;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const KNOWN: ReadonlySet<string> = new Set(['query', 'operationName', 'variables', 'extensions']);

/** The parameters of an object (a JSON body, or a query string's entries decoded); undefined unless plain. */
function plainParams(raw: Readonly<Record<string, unknown>>): FastParams | undefined {
  for (const name of Object.keys(raw)) if (!KNOWN.has(name)) return undefined;
  const { query, operationName, variables, extensions } = raw;
  if (typeof query !== 'string') return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
  // Extensions name persisted queries and such: yoga's path (with its plugins) reads those.
  if (extensions !== undefined && extensions !== null && !(isRecord(extensions) && Object.keys(extensions).length === 0)) return undefined;
  return { query, operationName: operationName ?? undefined, variables: variables ?? undefined };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A GET's parameters from its query string (`variables` and `extensions` as JSON text). */
export function paramsFromUrl(url: string): FastParams | undefined {
  const at = url.indexOf('?');
  if (at < 0) return undefined;
  const raw: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    if (name in raw) return undefined;
    raw[name] = name === 'variables' || name === 'extensions' ? parseJson(value) : value;
    if (raw[name] === undefined) return undefined;
  }
  return plainParams(raw);
}

/** A POST's parameters from its JSON body. */
export function paramsFromBody(body: Buffer): FastParams | undefined {
  const parsed = parseJson(body.toString('utf8'));
  return isRecord(parsed) ? plainParams(parsed) : undefined;
}

/** Whether a POST's body may be read here: JSON, with a declared length within FAST_PATH_MAX_BODY_BYTES. */
export function readableBody(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) return false;
  if (req.headers['transfer-encoding'] !== undefined || req.headers['content-encoding'] !== undefined) return false;
  const length = Number(req.headers['content-length']);
  return Number.isInteger(length) && length > 0 && length <= FAST_PATH_MAX_BODY_BYTES;
}

/** Reads the whole body (bounded by its declared length) and keeps it on the request for yoga. */
export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const length = Number(req.headers['content-length']);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (body: Buffer | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onEnd);
      req.off('close', onEnd);
      resolve(body);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      const body = Buffer.concat(chunks, size);
      Reflect.set(req, 'body', body);
      done(req.complete && size === length ? body : undefined);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onEnd);
    req.once('close', onEnd);
  });
}
