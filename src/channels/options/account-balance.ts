/** options / accountBalance (dt 7, private) -> `accountBalance`. */
import { defineChannel } from '../channel.ts';
import { AccountBalanceShape } from '../shapes/account-balance.ts';

export const accountBalance = defineChannel({
  id: 'accountBalance',
  market: 'options',
  dataType: 'accountBalance',
  dt: [7],
  access: 'private',
  delivery: 'state',
  description: "Real-time margin and balance of the account whose API key the client presents.",
  item: AccountBalanceShape,
  args: {},
  topic: () => ({ key: '', payload: undefined }),
  keyOf: () => '',
});
