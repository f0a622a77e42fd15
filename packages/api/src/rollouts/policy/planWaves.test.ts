import { describe, expect, it } from "vitest";
import { planWaves, stableHash } from "./planWaves";

const devices = (n: number) => Array.from({ length: n }, (_, i) => `device-${String(i).padStart(5, "0")}`);
const none = (k: number) => Array.from({ length: k }, () => new Set<string>());

describe("planWaves", () => {
  it.each([
    { n: 100, waves: [{ percent: 1 }, { percent: 10 }, { percent: 100 }], sizes: [1, 9, 90] },
    { n: 1000, waves: [{ percent: 1 }, { percent: 10 }, { percent: 50 }, { percent: 100 }], sizes: [10, 90, 400, 500] },
    { n: 7, waves: [{ percent: 50 }, { percent: 100 }], sizes: [3, 4] }, // rounds down
    { n: 10, waves: [{ count: 2 }, { count: 5 }, { percent: 100 }], sizes: [2, 3, 5] },
    { n: 10, waves: [{ count: 2 }, { count: 10 }], sizes: [2, 8] },
    { n: 3, waves: [{ count: 1 }, { count: 50 }], sizes: [1, 2] }, // a last count beyond the targets reaches them all
    { n: 1, waves: [{ percent: 100 }], sizes: [1] },
  ])("$n devices in $waves → $sizes", ({ n, waves, sizes }) => {
    const plan = planWaves("r1", devices(n), waves, none(waves.length));
    expect(plan.ok && plan.sizes).toEqual(sizes);
    if (!plan.ok) return;
    expect(plan.placements.map((p) => p.order)).toEqual([...Array(n).keys()]);
    expect(new Set(plan.placements.map((p) => p.deviceId)).size).toBe(n);
  });

  it.each([
    {
      n: 50,
      waves: [{ percent: 1 }, { percent: 100 }],
      path: ["policy", "waves", 0],
      message: /wave 1 would be empty with these 50/,
    },
    { n: 5, waves: [{ count: 5 }, { percent: 100 }], path: ["policy", "waves", 1], message: /wave 2 would be empty/ },
    {
      n: 10,
      waves: [{ count: 2 }, { count: 5 }],
      path: ["policy", "waves", 1, "count"],
      message: /must reach every target device \(10\)/,
    },
    {
      n: 10,
      waves: [{ percent: 50 }, { count: 3 }, { percent: 100 }],
      path: ["policy", "waves", 1],
      message: /reaches 3, and the waves before it already reach 5/,
    },
  ])("$n devices in $waves → 400 at $path", ({ n, waves, path, message }) => {
    const plan = planWaves("r1", devices(n), waves, none(waves.length));
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.path).toEqual(path);
    expect(plan.message).toMatch(message);
  });

  it("puts the canary ring first, in its own wave, and keeps later rings for their waves", () => {
    const all = devices(100);
    const canary = new Set(all.slice(90, 95));
    const ring2 = new Set(all.slice(0, 3));
    const plan = planWaves(
      "r1",
      all,
      [{ selector: { labels: { ring: "canary" } } }, { count: 10, selector: { labels: { ring: "early" } } }, { percent: 100 }],
      [canary, ring2, new Set()],
    );
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.sizes).toEqual([5, 5, 90]);
    expect(new Set(plan.placements.filter((p) => p.wave === 0).map((p) => p.deviceId))).toEqual(canary);
    for (const id of ring2) expect(plan.placements.find((p) => p.deviceId === id)!.wave).toBe(1);
  });

  it("fills a counted canary wave from the rest when too few devices match", () => {
    const all = devices(20);
    const plan = planWaves(
      "r1",
      all,
      [{ count: 4, selector: { labels: { ring: "canary" } } }, { percent: 100 }],
      [new Set([all[7]!]), new Set()],
    );
    expect(plan.ok && plan.placements[0]).toEqual({ deviceId: all[7], wave: 0, order: 0 });
    expect(plan.ok && plan.sizes).toEqual([4, 16]);
  });

  it("orders devices the same way every time, and differently per rollout", () => {
    const order = (rolloutId: string) => {
      const plan = planWaves(rolloutId, devices(50), [{ percent: 100 }], none(1));
      return plan.ok ? plan.placements.map((p) => p.deviceId) : [];
    };
    expect(order("r1")).toEqual(order("r1"));
    expect(order("r1")).not.toEqual(order("r2"));
    expect(stableHash("abc")).toBe(stableHash("abc"));
  });
});
