import { describe, expect, it } from "vitest";
import { decodeChange, encodeChange } from "./invalidation";

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
});
