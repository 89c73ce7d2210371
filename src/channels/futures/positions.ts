/** futures / position (dt 36, private) -> `futuresPositions`. */
import { positionsChannel } from '../common.ts';
import { positionsTopic } from '../simulated-topics.ts';

export const futuresPositions = positionsChannel({
  id: 'futuresPositions',
  market: 'futures',
  dt: 36,
  description: "Snapshots of the account's futures positions.",
  example: () => ({}),
  simulate: positionsTopic({ underlyingFilter: false }),
});
