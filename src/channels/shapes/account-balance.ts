/** `AccountBalance`: real-time account margin (options dt 7, private). */
import { defineShape, f } from '../fields.ts';

export const AssetBalanceShape = defineShape('AssetBalance', 'Balance of one coin of the account (live frames only).', {
  coin: f.string(['coin'], 'Coin, e.g. `USDT`.', { required: true }),
  availableBalance: f.decimal(['availableBalance', 'ab'], 'Available balance in that coin.'),
});

export const AccountBalanceShape = defineShape('AccountBalance', 'Real-time margin and balance of the account.', {
  userId: f.id(['u', 'uid'], 'User id (upstream `u`, live `uid`).'),
  id: f.id(
    [],
    "Cache identity for normalizing caches (Apollo): the root field, the user id and the view's arguments, e.g. `accountBalance:123456`. Stable for the same view; distinct views (other arguments) never share it.",
    { required: true, compute: (r) => r['userId'] ?? 'account' },
  ),
  availableBalance: f.decimal(['ab'], 'Available balance.'),
  dollarValue: f.decimal(['dv'], 'Account value in USD.'),
  equity: f.decimal(['e'], 'Equity.'),
  marginBalance: f.decimal(['mb'], 'Margin balance.'),
  withdrawableBalance: f.decimal(['wb'], 'Withdrawable amount.'),
  btcValue: f.decimal(['btcv'], 'Account value in BTC.'),
  unrealizedPnl: f.decimal(['upnl'], 'Unrealised profit and loss.'),
  initialMargin: f.decimal(['im'], 'Initial margin in use.'),
  maintenanceMargin: f.decimal(['mm'], 'Maintenance margin.'),
  delta: f.float(['delta'], 'Account delta (the exchange sends it as a string).'),
  assets: f.list(AssetBalanceShape, ['assets'], 'Per-coin balances (live frames only).'),
  timestamp: f.timestamp([], "Time of the update: the frame's `ts`, else when the gateway received it.", {
    required: true,
    compute: (_record, ctx) => ctx.frameTs ?? ctx.receivedAt,
  }),
});
