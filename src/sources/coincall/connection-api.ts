/**
 * One upstream connection's contract: its options (callbacks included), the
 * states it reports and the stats `status` shows. `connection.ts` is the
 * state machine behind it.
 */
import type { Frame, MarketName } from '../../coincall/protocol.ts';
import type { Credential } from '../../coincall/signing.ts';
import type { Backoff } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';

export type ConnectionState = 'connecting' | 'open' | 'backoff' | 'refused' | 'closed';

export interface ConnectionOptions {
  readonly market: MarketName;
  readonly url: string;
  readonly credential: Credential;
  /** Bound to the market (and access, account): calls add no key it already carries. */
  readonly logger: Logger;
  readonly now?: () => number;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly backoff?: Backoff;
  /** Keep retrying after a 403 (the server's own key: it may be a clock skew); private credentials do not. */
  readonly retryOnRefusal?: boolean;
  /**
   * Asked before every reconnect attempt: how many more ms to wait (0: go now).
   * The gateway paces private reconnects through its global handshake budget.
   */
  readonly handshakeDelay?: () => number;
  readonly onOpen: () => void;
  readonly onFrame: (frame: Frame, receivedAt: number) => void;
  /** The exchange refused the credential (403). */
  readonly onRefused: (status: number) => void;
  /** The socket went down (it will reconnect unless refused or closed). */
  readonly onDown?: () => void;
  /** Whether the connection carries no live topic (an exchange's close of it is then routine). */
  readonly isIdle?: () => boolean;
  /** Largest upstream frame accepted (ws `maxPayload`); a larger one renews the connection. */
  readonly maxFrameBytes?: number;
  /** A frame over `maxFrameBytes` arrived (the connection is being renewed). */
  readonly onOversized?: () => void;
  /** The reported state changed (see `ConnectionStats.state`). */
  readonly onStateChange?: (state: ConnectionState) => void;
}

export interface ConnectionStats {
  readonly market: MarketName;
  readonly state: ConnectionState;
  readonly connectedSince: number | undefined;
  readonly reconnects: number;
  readonly lastMessageAt: number | undefined;
}

export interface UpstreamConnection {
  /**
   * Queues a request; requests made while down are dropped (topics are re-sent
   * on open). `onWritten` runs when the paced queue hands it to the socket.
   */
  send(text: string, onWritten?: () => void): void;
  stats(): ConnectionStats;
  /** Open, or reconnecting after the exchange closed it while idle (routine, not a failure). */
  available(): boolean;
  /**
   * Closes for good. With `drainMs`, the queued requests go out first (paced)
   * and the close handshake completes, or `drainMs` passes; the promise
   * resolves then. Without it, queued requests are dropped and it resolves at once.
   */
  close(drainMs?: number): Promise<void>;
}
