/** futures / fillSignal (dt 34, private) -> `futuresFills`. No upstream payload; `symbol` filters per subscriber. */
import { fillsChannel } from '../common.ts';
import { fillsTopic } from '../simulated-topics.ts';

export const futuresFills = fillsChannel({
  id: 'futuresFills',
  market: 'futures',
  dt: 34,
  description: "Fill signals of the account's futures orders.",
  example: () => ({}),
  simulate: fillsTopic({ optionFilter: false }),
});
