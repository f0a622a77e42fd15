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

  /**
   * A write that gives a device a new token hands it to the cache after its commit, with the
   * generation read before its transaction began. Two rotations commit in database order but may
   * reach this process in either order; whichever way, the cache must never keep a token the
   * database no longer holds (it may keep none).
   */
  describe("tokenReplaced", () => {
    interface Case {
      name: string;
      steps: (cache: AgentCache) => void;
      kept: Record<string, string | undefined>;
    }
    const cases: Case[] = [
      {
        name: "a registration alone: the new token is known at once",
        steps: (cache) => cache.tokenReplaced("d1", "new", cache.generation()),
        kept: { new: "d1" },
      },
      {
        name: "a rotation: the old token is forgotten, the new one known",
        steps: (cache) => {
          cache.rememberToken("old", "d1", cache.generation());
          cache.tokenReplaced("d1", "new", cache.generation());
        },
        kept: { old: undefined, new: "d1" },
      },
      {
        name: "rotations A then B, applied in order: B is kept",
        steps: (cache) => {
          const a = cache.generation();
          cache.tokenReplaced("d1", "A", a);
          const b = cache.generation();
          cache.tokenReplaced("d1", "B", b);
        },
        kept: { A: undefined, B: "d1" },
      },
      {
        name: "rotations A then B (B began while A ran), applied B first: neither is kept",
        steps: (cache) => {
          const a = cache.generation();
          const b = cache.generation();
          cache.tokenReplaced("d1", "B", b);
          cache.tokenReplaced("d1", "A", a);
        },
        kept: { A: undefined, B: undefined },
      },
      {
        name: "a revoke applied after a rotation began: the rotated token is not kept",
        steps: (cache) => {
          const began = cache.generation();
          cache.credentialsChanged(["d1"]);
          cache.tokenReplaced("d1", "new", began);
        },
        kept: { new: undefined },
      },
      {
        name: "another device's change does not stop it",
        steps: (cache) => {
          const began = cache.generation();
          cache.credentialsChanged(["d2"]);
          cache.tokenReplaced("d1", "new", began);
        },
        kept: { new: "d1" },
      },
    ];
    it.each(cases)("$name", ({ steps, kept }) => {
      const cache = createAgentCache();
      steps(cache);
      for (const [digest, device] of Object.entries(kept)) expect(cache.deviceForToken(digest), digest).toBe(device);
    });

    it("tells the warmer to reload only a token it could not keep", () => {
      const cache = createAgentCache();
      const heard: unknown[] = [];
      cache.onChange((kind, devices) => heard.push([kind, devices]));
      cache.tokenReplaced("d1", "kept", cache.generation());
      expect(heard).toEqual([]);
      const stale = cache.generation();
      cache.credentialsChanged(["d1"]);
      cache.tokenReplaced("d1", "dropped", stale);
      expect(heard).toEqual([
        ["credentials", ["d1"]],
        ["credentials", ["d1"]],
      ]);
    });
  });
});
