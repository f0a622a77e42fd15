import { RateLimiterMemory } from "rate-limiter-flexible";

/**
 * Failed logins are counted per client address and per (address, username): a guesser is slowed
 * down on one account and across accounts, while a successful login clears its own count.
 * In memory per process: with several replicas each limits on its own, which still bounds a
 * guesser to replicas × limit (rate-limiter-flexible has a PostgreSQL store for a shared count).
 */
export interface LoginLimiter {
  /** Seconds to wait if this client may not try now, else 0. */
  retryAfter(clientAddress: string, username: string): Promise<number>;
  recordFailure(clientAddress: string, username: string): Promise<void>;
  recordSuccess(clientAddress: string, username: string): Promise<void>;
}

export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

const defaultLoginLimits: LoginLimits = { perAccount: 5, perAddress: 20, windowSeconds: 300 };

export function createLoginLimiter(limits: LoginLimits = defaultLoginLimits): LoginLimiter {
  const byAccount = new RateLimiterMemory({ points: limits.perAccount, duration: limits.windowSeconds });
  const byAddress = new RateLimiterMemory({ points: limits.perAddress, duration: limits.windowSeconds });
  const accountKey = (address: string, username: string) => `${address}|${username.toLowerCase()}`;

  return {
    async retryAfter(address, username) {
      const [account, client] = await Promise.all([byAccount.get(accountKey(address, username)), byAddress.get(address)]);
      const waits = [
        account && account.consumedPoints >= limits.perAccount ? account.msBeforeNext : 0,
        client && client.consumedPoints >= limits.perAddress ? client.msBeforeNext : 0,
      ];
      return Math.ceil(Math.max(...waits) / 1000);
    },
    async recordFailure(address, username) {
      // penalty() counts without rejecting: the check above is what refuses.
      await Promise.all([byAccount.penalty(accountKey(address, username)), byAddress.penalty(address)]);
    },
    async recordSuccess(address, username) {
      await byAccount.delete(accountKey(address, username));
    },
  };
}
