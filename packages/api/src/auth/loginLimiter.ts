import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres } from "rate-limiter-flexible";

/**
 * Failed logins are counted per client address and per (address, username): a guesser is slowed
 * down on one account and across accounts, while a successful login clears its own count.
 * One process counts in memory; replicas share their counts through a store (the server passes
 * rate-limiter-flexible's PostgreSQL store), or a guesser would get replicas × limit.
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

export const defaultLoginLimits: LoginLimits = { perAccount: 5, perAddress: 20, windowSeconds: 300 };

/** Makes one counter: `points` per `duration` seconds, its keys under `keyPrefix`. */
export type LimiterStore = (options: { points: number; duration: number; keyPrefix: string }) => RateLimiterAbstract;

const inMemory: LimiterStore = (options) => new RateLimiterMemory(options);

/**
 * Counts shared by every replica, in the `login_attempts` table (made by a migration, not by the
 * library at run time). While PostgreSQL is away the library falls back to a per-process count.
 */
export function postgresLimiterStore(pool: unknown): LimiterStore {
  return (options) =>
    new RateLimiterPostgres({
      ...options,
      storeClient: pool,
      storeType: "pool",
      tableName: "login_attempts",
      tableCreated: true,
      clearExpiredByTimeout: true,
      insuranceLimiter: new RateLimiterMemory(options),
    });
}

export function createLoginLimiter(limits: LoginLimits = defaultLoginLimits, store: LimiterStore = inMemory): LoginLimiter {
  const byAccount = store({ points: limits.perAccount, duration: limits.windowSeconds, keyPrefix: "login-account" });
  const byAddress = store({ points: limits.perAddress, duration: limits.windowSeconds, keyPrefix: "login-address" });
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
