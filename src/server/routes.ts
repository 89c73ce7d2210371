/**
 * The gateway's paths, and the plain routes beside GraphQL as yoga plugins of
 * the request stage: `/health` (the process is up), `/ready` (the upstream is
 * connected: 200 or 503) and `/` (a redirect to GraphiQL on `/graphql`), and `/metrics` (Prometheus
 * text, `metrics.ts`) when metrics are on.
 * These answer before any GraphQL work and, like before, outside the
 * connection and body caps (`request-gate.ts` lets them through).
 */
import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from './metrics/metrics.ts';

export const GRAPHQL_PATH = '/graphql';
export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';
export const ROOT_PATH = '/';
export const METRICS_PATH = '/metrics';

const PLAIN_ROUTES: ReadonlySet<string> = new Set([ROOT_PATH, HEALTH_PATH, READY_PATH, METRICS_PATH]);

/** Whether a path is one of the plain routes (no GraphQL, no caps). */
export const isPlainRoute = (path: string): boolean => PLAIN_ROUTES.has(path);

type FetchResponse = typeof Response;

const json = (response: FetchResponse, status: number, body: unknown): Response =>
  new response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * `/health`: yoga's own health check answers it (200, before every other
 * plugin); this plugin gives that answer the gateway's JSON body.
 */
export function useHealth(): Plugin {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      // The same match as yoga's health check.
      if (response.status === 200 && request.url.endsWith(HEALTH_PATH)) setResponse(json(fetchAPI.Response, 200, { status: 'ok' }));
    },
  };
}

/** What `/ready` reports: ready or not, a one-phrase status, and why not (each reason one short line). */
export interface Readiness {
  readonly ready: boolean;
  readonly status: string;
  readonly reasons: readonly string[];
}

/**
 * `/ready`: yoga's readiness check, 200 while the check holds, 503 otherwise,
 * with a JSON status (and, from a full `Readiness`, its reasons: which market
 * is down, which topic is unanswered, how far behind the exchange it reads).
 */
export function useReadiness(check: () => boolean | Readiness): Plugin {
  return useReadinessCheck({
    endpoint: READY_PATH,
    check: ({ fetchAPI }) => {
      const result = check();
      if (result === true) return json(fetchAPI.Response, 200, { status: 'ready' });
      if (result === false) return json(fetchAPI.Response, 503, { status: 'upstream not connected' });
      const { ready, status, reasons } = result;
      return json(fetchAPI.Response, ready ? 200 : 503, reasons.length === 0 ? { status } : { status, reasons });
    },
  });
}

/** `/`: a redirect to GraphiQL. */
export function useRootRedirect(): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === ROOT_PATH) endResponse(new fetchAPI.Response(null, { status: 302, headers: { location: GRAPHQL_PATH } }));
    },
  };
}

/** `/metrics`: every family of `metrics` in Prometheus text format (GET only). */
export function useMetricsRoute(metrics: GatewayMetrics): Plugin {
  return {
    onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH || request.method !== 'GET') return undefined;
      return metrics
        .render()
        .then((text) => endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': metrics.contentType } })));
    },
  };
}
