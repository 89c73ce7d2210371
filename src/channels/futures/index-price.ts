/** futures / spotPrice (dt 30) -> `futuresIndexPrice`. */
import { indexPriceChannel } from '../common.ts';

export const futuresIndexPrice = indexPriceChannel({
  id: 'futuresIndexPrice',
  market: 'futures',
  dt: 30,
  description: 'Index, mark and 24 h ticker figures of a perpetual future.',
});
