/**
 * The example operations, from the channel files: each channel's operation
 * (written to schema/operations/ by `npm run schema`), its variables from one
 * example context (plus the `status` query, which takes none), and which
 * examples need the client's key. `app.ts` hands these to the server's
 * GraphiQL setup, so server/ keeps no channel list.
 */
import { exampleContext, operationText, type ExampleMarket, type ExampleVariables } from './example-context.ts';
import { ALL_CHANNELS, CHANNELS, type ChannelId } from './registry.ts';

export { EXAMPLE_UNDERLYING, exampleExpiry, exampleOption, type ExampleMarket } from './example-context.ts';

/** The example operations: one per root field, named as the field, and the status subscription. */
export type ExampleName = ChannelId | 'status' | 'statusUpdates';

/**
 * Variables for every example operation, valid at `market.now`. Variables
 * with a default in the operation are spelled out too, so that the
 * variables pane shows what can be changed.
 */
export function exampleVariables(market: ExampleMarket): Readonly<Record<ExampleName, ExampleVariables>> {
  const ctx = exampleContext(market);
  const out: Partial<Record<ExampleName, ExampleVariables>> = { status: {}, statusUpdates: {} };
  for (const channel of ALL_CHANNELS) out[channel.id as ChannelId] = channel.example.variables(ctx);
  return out as Record<ExampleName, ExampleVariables>;
}

/** Whether an example needs the client's Coincall key. */
export function isPrivateExample(name: string): boolean {
  return Object.hasOwn(CHANNELS, name) && CHANNELS[name as ChannelId].access === 'private';
}

/** Each channel's example operation file: `<id>.graphql` and its text. */
export function channelOperationFiles(): ReadonlyArray<{ readonly file: string; readonly text: string }> {
  return ALL_CHANNELS.map((channel) => ({ file: `${channel.id}.graphql`, text: operationText(channel.example.operation) }));
}
