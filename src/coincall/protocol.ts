/**
 * The Coincall WebSocket wire protocol, pure: request builders and the frame
 * parser. No sockets here; `sources/coincall/` and `simulator/` speak through this.
 */
import { toTimestamp } from '../lib/decimal.ts';
import { isRecord, parseJsonLossless } from '../lib/json.ts';

export const MARKETS = ['options', 'futures'] as const;
export type MarketName = (typeof MARKETS)[number];

/** Frame `c` codes: 10 connect (in the URL, and perhaps as a reply), 11 heartbeat, 20 data. */
export const CODE_CONNECT = 10;
export const CODE_HEARTBEAT = 11;
export const CODE_DATA = 20;
/** `rc` for success. */
export const RC_OK = 1;

/** The exchange's request budget per connection (subscribe, unsubscribe and heartbeat all count). */
export const MAX_REQUESTS_PER_SECOND = 100;

/** The unsubscribe action is spelled `unSubscribe` by the current docs. */
export type Action = 'subscribe' | 'unSubscribe';

function request(action: Action, dataType: string, payload: Readonly<Record<string, unknown>> | undefined): string {
  return JSON.stringify(payload === undefined ? { action, dataType } : { action, dataType, payload });
}

export const subscribeRequest = (dataType: string, payload?: Readonly<Record<string, unknown>>): string =>
  request('subscribe', dataType, payload);
export const unsubscribeRequest = (dataType: string, payload?: Readonly<Record<string, unknown>>): string =>
  request('unSubscribe', dataType, payload);

export const HEARTBEAT_REQUEST = JSON.stringify({ action: 'heartbeat' });

/** A parsed upstream frame. */
export type Frame =
  | { readonly kind: 'data'; readonly dt: number; readonly d: unknown; readonly ts: number | undefined }
  | { readonly kind: 'heartbeat'; readonly ok: boolean }
  /** `{"c":10,"rc":1}`: undocumented, but a connect reply is possible; recognized so it is not counted as garbage. */
  | { readonly kind: 'connect'; readonly ok: boolean }
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

/** A code (`c`, `rc`, `dt`): a non-negative integer, sent as a JSON number or as its digits in a string. */
function codeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/**
 * Parses one text frame. Never throws: garbage comes back as `{kind: 'invalid'}`.
 * Loose forms are accepted: `c`, `rc` and `dt` as numeric strings, a frame-level
 * `ts` as a string. A frame-level `ts` that is present but not a timestamp
 * (integer ms from 2000 to 2200) makes the frame invalid, just as a present
 * but invalid field fails its record.
 */
export function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    value = parseJsonLossless(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not a JSON object' };
  const c = codeOf(value['c']);
  const ok = codeOf(value['rc']) === RC_OK;
  if (c === CODE_HEARTBEAT) return { kind: 'heartbeat', ok };
  if ('dt' in value) {
    const dt = codeOf(value['dt']);
    if (dt === undefined) return { kind: 'invalid', reason: 'dt is not an integer' };
    const ts = toTimestamp(value['ts']);
    if (ts === undefined) return { kind: 'invalid', reason: 'ts is not a timestamp' };
    return { kind: 'data', dt, d: value['d'], ts: ts ?? undefined };
  }
  if (c === CODE_CONNECT) return { kind: 'connect', ok };
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
