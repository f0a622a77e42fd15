import { describe, expect, it } from "vitest";
import { createAgentCache } from "./agentCache";
import { apply, decodeChange, encodeChange, OPERATORS_CHANGED } from "./invalidation";
import { createOperatorCache } from "./operatorCache";

describe("cache change messages", () => {
  it.each([
    [
      { kind: "desired", devices: ["d1", "d2"] },
      { kind: "desired", devices: ["d1", "d2"] },
    ],
    [
      { kind: "credentials", devices: "all" },
      { kind: "credentials", devices: "all" },
    ],
    [
      { kind: "operators", devices: "all", origin: "replica-b" },
      { kind: "operators", devices: "all", origin: "replica-b" },
    ],
    [
      { kind: "desired", devices: ["d1"], origin: "replica-a" },
      { kind: "desired", devices: ["d1"], origin: "replica-a" },
    ],
    // Too many ids for one NOTIFY: everything is invalidated instead.
    [
      { kind: "desired", devices: Array.from({ length: 201 }, (_, i) => `d${i}`) },
      { kind: "desired", devices: "all" },
    ],
  ] as const)("round-trips %#", (change, expected) => {
    const encoded = encodeChange(change);
    expect(encoded.length).toBeLessThan(8000);
    expect(decodeChange(encoded)).toEqual(expected);
  });

  it.each([
    "",
    "not json",
    '{"kind":"other","devices":"all"}',
    '{"kind":"desired","devices":3}',
    '{"kind":"desired","devices":"all","origin":7}',
  ])("ignores %j", (payload) => {
    expect(decodeChange(payload)).toBeUndefined();
  });

  it("applies an operator change to the operator cache only", () => {
    const agents = createAgentCache();
    const operators = createOperatorCache();
    agents.rememberToken("device-digest", "d1", agents.generation());
    operators.rememberSession(
      "session-digest",
      { userId: "u", username: "a", role: "admin", csrfToken: "c", expiresAt: new Date() },
      0,
    );
    apply(agents, OPERATORS_CHANGED, operators);
    expect(operators.session("session-digest")).toBeUndefined();
    expect(agents.deviceForToken("device-digest")).toBe("d1");
  });
});
