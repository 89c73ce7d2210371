/** The simulator's public surface: start one, its options, accounts and fault switches. */
// Its contract (options, accounts, defaults, fault switches, the handle) is simulator-api.ts, whole.
export * from './simulator-api.ts';
export { startSimulator } from './server.ts';
export type { WireFormOption } from './publish.ts';
export type { RefusalRule, SubscriptionRequest } from './faults.ts';
export { encodeFrame, encodeRecord, frameText, type WireForm } from './encode.ts';
export { IDLE_CLOSE_CODE, IDLE_CLOSE_REASON, NO_SUBSCRIPTION_CLOSE_REASON, TOO_MANY_REQUESTS_MESSAGE } from './client-session.ts';
