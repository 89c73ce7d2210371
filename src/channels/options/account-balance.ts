/** options / accountBalance (dt 7, private) -> `accountBalance`. */
import { arg } from '../args.ts';
import { defineChannel } from '../channel.ts';
import { AccountBalanceShape } from '../shapes/account-balance.ts';
import { NO_FRAMES, one, simulated } from '../simulation.ts';

export const accountBalance = defineChannel({
  id: 'accountBalance',
  market: 'options',
  dataType: 'accountBalance',
  dt: [7],
  access: 'private',
  delivery: 'state',
  throttle: 'latest',
  twin: 'state',
  description: 'Real-time margin and balance of the account whose API key the client presents.',
  item: AccountBalanceShape,
  args: { throttleMs: arg.throttleMs() },
  topic: () => ({ key: '', payload: undefined }),
  keyOf: () => '',
  example: {
    variables: () => ({}),
    operation: `
    # Your account margin and balance (needs your API key).
    subscription AccountBalance {
      accountBalance {
        userId
        equity
        availableBalance
        marginBalance
        initialMargin
        maintenanceMargin
        unrealizedPnl
        timestamp
      }
    }
`,
  },
  simulate: simulated({
    params: () => ({}),
    payloadOf: () => undefined,
    // State, but pushed at the account period (and on subscribing), as the exchange does.
    frames: (_params, sim) => (sim.initial || sim.accountPushDue ? one(sim.account?.balanceRecord(), sim.now) : NO_FRAMES),
  }),
});
