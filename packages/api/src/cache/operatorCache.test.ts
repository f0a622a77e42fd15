import { describe, expect, it } from "vitest";
import { type ApiKeyIdentity, createOperatorCache, type SessionIdentity } from "./operatorCache";

const key: ApiKeyIdentity = {
  keyId: "k1",
  keyName: "ci-deploy",
  prefix: "sbk_000000000001",
  role: "operator",
  userId: "u1",
  username: "admin",
  lastUsedAt: null,
};
const session: SessionIdentity = {
  userId: "u1",
  username: "admin",
  role: "admin",
  csrfToken: "csrf",
  expiresAt: new Date("2030-01-01T00:00:00Z"),
};

describe("operator cache", () => {
  it("answers a key or a session by its digest, never one for the other", () => {
    const cache = createOperatorCache();
    cache.rememberApiKey("digest-key", key, cache.generation());
    cache.rememberSession("digest-session", session, cache.generation());
    expect(cache.apiKey("digest-key")).toEqual(key);
    expect(cache.session("digest-session")).toEqual(session);
    expect(cache.session("digest-key")).toBeUndefined();
    expect(cache.apiKey("digest-session")).toBeUndefined();
    expect(cache.apiKey("unknown")).toBeUndefined();
  });

  it("forgets everything when a key is revoked or a session ends", () => {
    const cache = createOperatorCache();
    cache.rememberApiKey("digest-key", key, cache.generation());
    cache.rememberSession("digest-session", session, cache.generation());
    cache.changed();
    expect(cache.apiKey("digest-key")).toBeUndefined();
    expect(cache.session("digest-session")).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it("does not store a lookup that overlapped a revocation (it may have read the row before it)", () => {
    const cache = createOperatorCache();
    const readStartedAt = cache.generation();
    cache.changed();
    cache.rememberApiKey("digest-key", key, readStartedAt);
    expect(cache.apiKey("digest-key")).toBeUndefined();
    cache.rememberApiKey("digest-key", key, cache.generation());
    expect(cache.apiKey("digest-key")).toEqual(key);
  });

  it("lets entries expire, so a change made with SQL behind the API's back is seen in time", async () => {
    const cache = createOperatorCache({ maxEntries: 10, ttlMs: 20 });
    cache.rememberApiKey("digest-key", key, cache.generation());
    expect(cache.apiKey("digest-key")).toEqual(key);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.apiKey("digest-key")).toBeUndefined();
  });

  it("keeps at most maxEntries, dropping the least recently used", () => {
    const cache = createOperatorCache({ maxEntries: 2, ttlMs: 60_000 });
    cache.rememberApiKey("a", key, cache.generation());
    cache.rememberApiKey("b", key, cache.generation());
    cache.apiKey("a");
    cache.rememberApiKey("c", key, cache.generation());
    expect(cache.apiKey("a")).toEqual(key);
    expect(cache.apiKey("b")).toBeUndefined();
    expect(cache.apiKey("c")).toEqual(key);
  });
});
