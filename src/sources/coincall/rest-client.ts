/**
 * One bounded GET of a JSON document from Coincall's REST API: a deadline, a
 * cap on the body's size (read as it streams, so a runaway answer never
 * fills memory), an outer abort (shutdown), and errors that say what failed
 * in one line (`GET http://…/open/public/config/v1: HTTP 500`). Returns the
 * parsed JSON as `unknown`; validating it is `coincall/rest.ts`'s job.
 *
 * It uses `fetch` (injectable), never a socket of its own.
 */

/** How long one request may take, headers and body together. */
export const DEFAULT_REST_TIMEOUT_MS = 10_000;
/** Largest answer accepted (the BTC option list is a few hundred KiB). */
export const MAX_REST_BODY_BYTES = 16 * 1024 * 1024;

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface GetJsonOptions {
  readonly fetch: FetchFn;
  readonly timeoutMs: number;
  /** Aborts the request (e.g. at shutdown). */
  readonly signal?: AbortSignal | undefined;
  readonly maxBytes?: number | undefined;
}

/** A REST request that failed: transport, HTTP status, size or JSON. */
export class RestRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestRequestError';
  }
}

/** `fetch failed: ECONNREFUSED` rather than the bare `fetch failed`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
    return `${error.message}: ${code}`;
  }
  return error.message;
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`the answer exceeds ${maxBytes} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

export async function getJson(url: string, options: GetJsonOptions): Promise<unknown> {
  const maxBytes = options.maxBytes ?? MAX_REST_BODY_BYTES;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) controller.abort();
  try {
    const response = await options.fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new Error(`the answer declares ${declared} bytes, more than ${maxBytes}`);
    }
    const text = await readBounded(response, maxBytes);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error('the answer is not JSON');
    }
  } catch (error) {
    const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : controller.signal.aborted ? 'aborted' : describe(error);
    throw new RestRequestError(`GET ${url}: ${reason}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
