import { LRUCache } from "lru-cache";
import type { Role } from "../auth/roles";

/**
 * Operator credentials seen recently — an API key's or a session cookie's digest → who it is —
 * so a dashboard or a tool reading the API costs one query per request, not two.
 *
 * Only credentials that verified are kept. Revoking a key or ending a session forgets every
 * entry, here at commit and on other replicas through PostgreSQL NOTIFY (both are rare, and an
 * operator's next request simply reads its row again); a read that overlaps such a change does
 * not store what it read (the generation check). Entries also expire after `ttlMs`, so a change
 * made with SQL behind the API's back is seen within that time.
 */
export interface ApiKeyIdentity {
  keyId: string;
  keyName: string;
  prefix: string;
  role: Role;
  userId: string;
  username: string;
  /** When the key's last use was written (the write is coalesced to one a minute). */
  lastUsedAt: Date | null;
}

export interface SessionIdentity {
  userId: string;
  username: string;
  role: Role;
  csrfToken: string;
  expiresAt: Date;
}

export interface OperatorCache {
  apiKey(digest: string): ApiKeyIdentity | undefined;
  session(digest: string): SessionIdentity | undefined;
  /** Take one before a database read, hand it back when storing what the read found. */
  generation(): number;
  rememberApiKey(digest: string, identity: ApiKeyIdentity, readAtGeneration: number): void;
  rememberSession(digest: string, identity: SessionIdentity, readAtGeneration: number): void;
  /** A key was revoked or a session ended (here or on another replica): forget everything. */
  changed(): void;
  stats(): { entries: number };
}

export interface OperatorCacheLimits {
  maxEntries: number;
  ttlMs: number;
}

type Entry = { type: "apiKey"; identity: ApiKeyIdentity } | { type: "session"; identity: SessionIdentity };

export function createOperatorCache(limits: OperatorCacheLimits = { maxEntries: 10_000, ttlMs: 60_000 }): OperatorCache {
  const entries = new LRUCache<string, Entry>({ max: limits.maxEntries, ttl: limits.ttlMs });
  let generation = 0;
  const remember = (digest: string, entry: Entry, readAtGeneration: number) => {
    if (readAtGeneration === generation) entries.set(digest, entry);
  };
  return {
    apiKey(digest) {
      const entry = entries.get(digest);
      return entry?.type === "apiKey" ? entry.identity : undefined;
    },
    session(digest) {
      const entry = entries.get(digest);
      return entry?.type === "session" ? entry.identity : undefined;
    },
    generation: () => generation,
    rememberApiKey: (digest, identity, readAtGeneration) => remember(digest, { type: "apiKey", identity }, readAtGeneration),
    rememberSession: (digest, identity, readAtGeneration) => remember(digest, { type: "session", identity }, readAtGeneration),
    changed() {
      generation++;
      entries.clear();
    },
    stats: () => ({ entries: entries.size }),
  };
}
