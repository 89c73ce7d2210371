/** futures / position (dt 36, private) -> `futuresPositions`. */
import { positionsChannel } from '../common.ts';

export const futuresPositions = positionsChannel({
  id: 'futuresPositions',
  market: 'futures',
  dt: 36,
  description: "Snapshots of the account's futures positions.",
});
