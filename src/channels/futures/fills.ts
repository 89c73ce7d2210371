/** futures / fillSignal (dt 34, private) -> `futuresFills`. No upstream payload; `symbol` filters per subscriber. */
import { fillsChannel } from '../common.ts';

export const futuresFills = fillsChannel({
  id: 'futuresFills',
  market: 'futures',
  dt: 34,
  description: "Fill signals of the account's futures orders.",
});
