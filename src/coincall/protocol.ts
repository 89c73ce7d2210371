/**
 * The Coincall WebSocket wire protocol, pure: request builders and the frame
 * parser. No sockets here; `upstream/` and `simulator/` speak through this.
 */
import { isRecord, parseJsonLossless } from '../lib/json.ts';

export const MARKETS = ['options', 'futures'] as const;
export type MarketName = (typeof MARKETS)[number];

/** Frame `c` codes (10, connect, only appears in the URL). */
export const CODE_HEARTBEAT = 11;
export const CODE_DATA = 20;
/** Heartbeat `rc` for success. */
export const RC_OK = 1;

/** The exchange's request budget per connection (subscribe, unsubscribe and heartbeat all count). */
export const MAX_REQUESTS_PER_SECOND = 100;

/** The unsubscribe action is spelled `unSubscribe` by the current docs. */
export type Action = 'subscribe' | 'unSubscribe';

function request(action: Action, dataType: string, payload: Readonly<Record<string, unknown>> | undefined): string {
  return JSON.stringify(payload === undefined ? { action, dataType } : { action, dataType, payload });
}

export const subscribeRequest = (dataType: string, payload?: Readonly<Record<string, unknown>>): string => request('subscribe', dataType, payload);
export const unsubscribeRequest = (dataType: string, payload?: Readonly<Record<string, unknown>>): string => request('unSubscribe', dataType, payload);

export const HEARTBEAT_REQUEST = JSON.stringify({ action: 'heartbeat' });

/** A parsed upstream frame. */
export type Frame =
  | { readonly kind: 'data'; readonly dt: number; readonly d: unknown; readonly ts: number | undefined }
  | { readonly kind: 'heartbeat'; readonly ok: boolean }
  | {
      readonly kind: 'ack';
      readonly action: string;
      readonly dataType: string;
      readonly payload: unknown;
      readonly ok: boolean;
      readonly message: string | undefined;
    }
  | { readonly kind: 'notice'; readonly message: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Parses one text frame. Never throws: garbage comes back as `{kind: 'invalid'}`. */
export function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    value = parseJsonLossless(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not a JSON object' };
  const c = value['c'];
  if (c === CODE_HEARTBEAT) return { kind: 'heartbeat', ok: value['rc'] === RC_OK || value['rc'] === String(RC_OK) };
  if ('dt' in value) {
    const dt = value['dt'];
    if (typeof dt !== 'number' || !Number.isInteger(dt)) return { kind: 'invalid', reason: 'dt is not an integer' };
    const ts = value['ts'];
    return { kind: 'data', dt, d: value['d'], ts: typeof ts === 'number' ? ts : undefined };
  }
  if (typeof value['result'] === 'string' && typeof value['dataType'] === 'string') {
    const message = value['message'] ?? value['msg'] ?? value['reason'];
    return {
      kind: 'ack',
      action: String(value['action'] ?? ''),
      dataType: value['dataType'],
      payload: value['payload'],
      ok: value['result'].toLowerCase() === 'success',
      message: typeof message === 'string' ? message : undefined,
    };
  }
  const message = value['message'] ?? value['msg'];
  if (typeof message === 'string') return { kind: 'notice', message };
  return { kind: 'invalid', reason: 'unrecognised frame' };
}
