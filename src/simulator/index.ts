/** The simulator's public surface: start one, its options, accounts and fault switches. */
export {
  ACCOUNT_PUSH_INTERVAL_MS,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_SEED,
  DEFAULT_TICK_MS,
  DEMO_ACCOUNT,
  type ActiveSubscription,
  type Simulator,
  type SimulatorAccount,
  type SimulatorFaults,
  type SimulatorOptions,
  type SimulatorRequestLog,
} from './simulator-api.ts';
export { startSimulator } from './server.ts';
export type { WireFormOption } from './publish.ts';
export type { RefusalRule, SubscriptionRequest } from './faults.ts';
export { encodeFrame, encodeRecord, frameText, type WireForm } from './encode.ts';
export { IDLE_CLOSE_CODE, IDLE_CLOSE_REASON, NO_SUBSCRIPTION_CLOSE_REASON, TOO_MANY_REQUESTS_MESSAGE } from './connection.ts';
