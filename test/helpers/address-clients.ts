/**
 * Clients that connect from a chosen loopback address (`127.0.0.1`,
 * `127.0.0.2`, ...: Linux routes all of 127/8 to loopback), for the
 * per-address limits: a WebSocket that resolves when open or refused, a
 * one-shot HTTP request (no connection reuse) that resolves at the response
 * head, and a raw TCP socket.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { onDispose } from './gateway.ts';

export type WsOutcome =
  { readonly open: true; readonly socket: WebSocket } | { readonly open: false; readonly status: number; readonly body: string };

/** Opens a graphql-ws WebSocket from `localAddress`; closed by `disposeAll()`. */
export function openWs(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['graphql-transport-ws'], { localAddress, headers });
    onDispose(() => socket.terminate());
    socket.once('open', () => resolve({ open: true, socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += String(chunk)));
      res.on('end', () => resolve({ open: false, status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    socket.once('error', reject);
  });
}

export interface HeadResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The first body chunk (or the whole body for a short answer). */
  readonly body: string;
}

/** One HTTP request from `localAddress` on a fresh connection; the response is left open (streams) until `disposeAll()`. */
export function httpFrom(
  port: number,
  localAddress: string,
  options: { readonly method?: string; readonly path: string; readonly headers?: Record<string, string>; readonly body?: string },
): Promise<HeadResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress,
        agent: false,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        onDispose(() => void res.destroy());
        res.once('data', (chunk: Buffer) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: String(chunk) }));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

/** A raw TCP connection from `localAddress`, destroyed by `disposeAll()`. */
export function tcpFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(socket));
    onDispose(() => void socket.destroy());
    socket.once('error', reject);
  });
}

/** Resolves with the close code and reason of a WebSocket. */
export function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
}
