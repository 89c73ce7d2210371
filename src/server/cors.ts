/**
 * Cross-origin access for browsers (CORS_ORIGINS), as yoga's `cors` option.
 *
 * `*` (the default) lets any page read the gateway's answers, but never with
 * credentials (cookies or HTTP auth): a page on any origin gets what an
 * anonymous caller gets. An explicit list of origins allows exactly those,
 * with credentials; any other origin gets no CORS headers at all, so the
 * browser refuses it (its preflight is answered, empty). Both allow the
 * headers a client needs: the content type, `Authorization` (a gateway key or
 * token, `Bearer …`, as Apollo's HttpLink sends it) and the Coincall credential
 * headers of the private channels.
 */
import { API_KEY_HEADER, API_SECRET_HEADER } from './context.ts';

/** Every origin (without credentials), or these origins (with credentials). */
export type CorsOrigins = '*' | readonly string[];

export const CORS_ALLOWED_METHODS: readonly string[] = ['GET', 'POST', 'OPTIONS'];
export const CORS_ALLOWED_HEADERS: readonly string[] = ['Content-Type', 'Accept', 'Authorization', API_KEY_HEADER, API_SECRET_HEADER];
/** How long a browser may cache a preflight's answer (seconds). */
export const CORS_MAX_AGE_SECONDS = 600;

/** What yoga's CORS plugin takes per request: the headers to send, or `false` for none. */
export type CorsAnswer =
  | false
  | {
      readonly origin: string | string[];
      readonly methods: string[];
      readonly allowedHeaders: string[];
      readonly credentials: boolean;
      readonly maxAge: number;
    };

const common = { methods: [...CORS_ALLOWED_METHODS], allowedHeaders: [...CORS_ALLOWED_HEADERS], maxAge: CORS_MAX_AGE_SECONDS };

/** yoga's `cors` option for `origins`. */
export function corsOption(origins: CorsOrigins): (request: Request) => CorsAnswer {
  const answer = corsAnswers(origins);
  return (request) => answer(request.headers.get('origin'));
}

/** What to answer a request from `origin` (null: no `Origin` header). */
function corsAnswers(origins: CorsOrigins): (origin: string | null) => CorsAnswer {
  if (origins === '*') {
    const any: CorsAnswer = { ...common, origin: '*', credentials: false };
    return () => any;
  }
  const allowed = new Set(origins);
  return (origin) => (origin !== null && allowed.has(origin) ? { ...common, origin: [origin], credentials: true } : false);
}

/**
 * The CORS headers yoga's plugin (`@whatwg-node/server`'s `useCORS`) adds to
 * an answer, for the answers `corsOption` gives: for paths that answer
 * without yoga (the HTTP subscriptions' fast path). A test compares both.
 */
export function corsResponseHeaders(origins: CorsOrigins): (origin: string | undefined) => Readonly<Record<string, string>> {
  const answer = corsAnswers(origins);
  return (origin) => {
    const chosen = origin === undefined ? false : answer(origin);
    if (chosen === false || origin === undefined) return {};
    const headers: Record<string, string> =
      chosen.origin === '*' ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { 'access-control-allow-origin': origin };
    headers['access-control-allow-methods'] = chosen.methods.join(', ');
    headers['access-control-allow-headers'] = chosen.allowedHeaders.join(', ');
    if (chosen.credentials) headers['access-control-allow-credentials'] = 'true';
    headers['access-control-max-age'] = String(chosen.maxAge);
    return headers;
  };
}
