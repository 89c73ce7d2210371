/** `Position`: position snapshots of the account (options dt 12, futures dt 36, private). */
import { PositionSide } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

export const PositionShape = defineShape('Position', 'A snapshot of one of the account’s positions (pushed about once a second).', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  id: f.id(
    [],
    'Cache identity for normalizing caches (Apollo): the user id (when the frame carries it) and the symbol, e.g. `123456:BTCUSD`.',
    {
      required: true,
      compute: (r) => (typeof r['userId'] === 'string' ? `${r['userId']}:${String(r['symbol'])}` : r['symbol']),
    },
  ),
  quantity: f.decimal(['q'], 'Position size (a snapshot, not a change).'),
  side: f.enum(PositionSide, ['si'], 'Long or short.'),
  avgPrice: f.decimal(['ap'], 'Average entry price.'),
  markPrice: f.decimal(['mp'], 'Mark price.'),
  lastPrice: f.decimal(['lp'], 'Last price (futures).'),
  estimatedLiquidationPrice: f.decimal(['elp'], 'Estimated liquidation price.'),
  initialMargin: f.decimal(['im'], 'Initial margin.'),
  maintenanceMargin: f.decimal(['mm'], 'Maintenance margin.'),
  unrealizedPnl: f.decimal(['upnl'], 'Unrealised profit and loss.'),
  profitAndLoss: f.decimal(['pnl'], 'Profit and loss.'),
  userId: f.id(['uid'], 'User id.'),
  leverage: f.decimal(['le'], 'Leverage (futures).'),
  delta: f.float(['delta'], 'Delta (options).'),
  gamma: f.float(['gamma'], 'Gamma (options).'),
  vega: f.float(['vega'], 'Vega (options).'),
  theta: f.float(['theta'], 'Theta (options).'),
  rho: f.float(['rho'], 'Rho (options).'),
  timestamp: f.timestamp(['ts'], 'Time of the snapshot.'),
});
