/**
 * The per-address connection cap (MAX_CONNECTIONS_PER_IP): a count of open
 * connections per client address, so that one address cannot take every
 * slot of MAX_CONNECTIONS from the others. The socket gate
 * (`socket-gate.ts`) holds one count per TCP connection of a direct client,
 * from its first byte (a slow handshake counts) to its close; a connection
 * through a trusted proxy is counted per forwarded address by the request
 * and upgrade gates instead, for as long as its stream or socket lives.
 */

export const tooManyFromAddress = (max: number) =>
  `Too many connections from your address: the limit is ${max} (MAX_CONNECTIONS_PER_IP). Close one before opening another.`;

export interface AddressGate {
  /** Counts one connection of `address` until the returned release is called (once); undefined when the address is at its cap. */
  hold(address: string): (() => void) | undefined;
  /** Counts one connection of `address`; false (and nothing counted) when the address is at its cap. Pair each true with one `give`. */
  take(address: string): boolean;
  /** Uncounts one connection that `take` counted. */
  give(address: string): void;
  /** Open connections of one address. */
  openFrom(address: string): number;
  readonly max: number;
}

export function createAddressGate(max: number): AddressGate {
  const open = new Map<string, number>();
  const take = (address: string): boolean => {
    const count = open.get(address) ?? 0;
    if (count >= max) return false;
    open.set(address, count + 1);
    return true;
  };
  const give = (address: string): void => {
    const left = (open.get(address) ?? 1) - 1;
    if (left <= 0) open.delete(address);
    else open.set(address, left);
  };
  return {
    max,
    take,
    give,
    hold(address) {
      if (!take(address)) return undefined;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        give(address);
      };
    },
    openFrom: (address) => open.get(address) ?? 0,
  };
}
