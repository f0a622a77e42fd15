import { describe, expect, it } from "vitest";
import { type AgentCache, createAgentCache, etagOf } from "./agentCache";

const entry = (body: string) => ({ body, etag: etagOf(body) });

describe("agent cache", () => {
  it("keeps a desired state until that device's state changes", () => {
    const cache = createAgentCache();
    cache.rememberDesiredState("d1", entry("a"), cache.generation());
    cache.rememberDesiredState("d2", entry("b"), cache.generation());
    cache.desiredStatesChanged(["d1"]);
    expect(cache.desiredState("d1")).toBeUndefined();
    expect(cache.desiredState("d2")?.body).toBe("b");
    cache.desiredStatesChanged("all");
    expect(cache.desiredState("d2")).toBeUndefined();
  });

  it("does not store an answer read while a change landed (it may predate the change)", () => {
    const cache = createAgentCache();
    const readStartedAt = cache.generation();
    cache.desiredStatesChanged(["d1"]);
    cache.rememberDesiredState("d1", entry("stale"), readStartedAt);
    expect(cache.desiredState("d1")).toBeUndefined();
  });

  it("forgets a device's token digest when its credentials change", () => {
    const cache = createAgentCache();
    cache.rememberToken("digest-1", "d1", cache.generation());
    cache.rememberToken("digest-2", "d2", cache.generation());
    cache.credentialsChanged(["d1"]);
    expect(cache.deviceForToken("digest-1")).toBeUndefined();
    expect(cache.deviceForToken("digest-2")).toBe("d2");
  });

  it("does not store a token lookup that overlapped a rotation", () => {
    const cache = createAgentCache();
    const lookupStartedAt = cache.generation();
    cache.credentialsChanged(["d1"]);
    cache.rememberToken("old-digest", "d1", lookupStartedAt);
    expect(cache.deviceForToken("old-digest")).toBeUndefined();
  });

  // A read is dropped only when its own device (or everything) changed while it was in flight:
  // with devices registering every millisecond, a global check would keep nothing at all.
  it.each([
    ["another device's desired state", (c: AgentCache) => c.desiredStatesChanged(["d2"]), true, true],
    ["another device's credentials", (c: AgentCache) => c.credentialsChanged(["d2"]), true, true],
    ["its own desired state", (c: AgentCache) => c.desiredStatesChanged(["d1"]), false, true],
    ["its own credentials", (c: AgentCache) => c.credentialsChanged(["d1"]), true, false],
    ["every desired state", (c: AgentCache) => c.desiredStatesChanged("all"), false, true],
    ["every credential", (c: AgentCache) => c.credentialsChanged("all"), true, false],
  ])("a read of d1 that overlapped a change to %s: desired kept %s, token kept %s", (_label, change, desiredKept, tokenKept) => {
    const cache = createAgentCache();
    const readStartedAt = cache.generation();
    change(cache);
    cache.rememberDesiredState("d1", entry("answer"), readStartedAt);
    cache.rememberToken("digest-1", "d1", readStartedAt);
    expect(cache.desiredState("d1") !== undefined).toBe(desiredKept);
    expect(cache.deviceForToken("digest-1") !== undefined).toBe(tokenKept);
    // A read that starts after the change is kept whatever it was.
    cache.rememberDesiredState("d1", entry("fresh"), cache.generation());
    expect(cache.desiredState("d1")?.body).toBe("fresh");
  });

  it("evicts the least recently used devices beyond its limit", () => {
    const cache = createAgentCache({ maxDevices: 2 });
    for (const id of ["d1", "d2", "d3"]) cache.rememberDesiredState(id, entry(id), cache.generation());
    expect(cache.stats().desiredStates).toBe(2);
    expect(cache.desiredState("d1")).toBeUndefined();
  });

  it.each([
    ["same bytes, same tag", "abc", "abc", true],
    ["other bytes, other tag", "abc", "abd", false],
  ])("etagOf: %s", (_label, a, b, same) => {
    expect(etagOf(a) === etagOf(b)).toBe(same);
    expect(etagOf(a)).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });
});
