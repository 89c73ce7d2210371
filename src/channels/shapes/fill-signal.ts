/** `FillSignal`: a signal that the account traded (options dt 8, futures dt 34, private). */
import { defineShape, f } from '../fields.ts';

export const FillSignalShape = defineShape('FillSignal', 'A signal that one of the account’s orders traded.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  eventType: f.int(['et'], 'Fill event type, as the exchange sends it (its values are undocumented).'),
  timestamp: f.timestamp(['ts'], 'Time of the fill.'),
});
