import { describe, expect, it } from "vitest";
import { type DeviceCounts, deriveRolloutStatus, moveCounts, nextRolloutState } from "./rolloutStatus";

const counts = (partial: Partial<DeviceCounts>): DeviceCounts => ({
  pending: 0,
  updating: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  ...partial,
});

describe("deriveRolloutStatus", () => {
  it.each([
    // rule 1: cancelled by a manager, whatever the counts
    { counts: counts({ pending: 3 }), cancelRequested: true, expected: "cancelled" },
    { counts: counts({ succeeded: 3 }), cancelRequested: true, expected: "cancelled" },
    { counts: counts({ succeeded: 1, failed: 1, cancelled: 1 }), cancelRequested: true, expected: "cancelled" },
    // rule 1: or every device cancelled (all superseded)
    { counts: counts({ cancelled: 2 }), cancelRequested: false, expected: "cancelled" },
    // rule 2: every device pending
    { counts: counts({ pending: 1 }), cancelRequested: false, expected: "pending" },
    { counts: counts({ pending: 100_000 }), cancelRequested: false, expected: "pending" },
    // rule 3: every device succeeded
    { counts: counts({ succeeded: 3 }), cancelRequested: false, expected: "completed" },
    // rule 4: none pending or updating, at least one failed
    { counts: counts({ failed: 1 }), cancelRequested: false, expected: "failed" },
    { counts: counts({ succeeded: 2, failed: 1 }), cancelRequested: false, expected: "failed" },
    { counts: counts({ failed: 1, cancelled: 2 }), cancelRequested: false, expected: "failed" },
    { counts: counts({ succeeded: 1, failed: 1, cancelled: 1 }), cancelRequested: false, expected: "failed" },
    // rule 5: otherwise in progress
    { counts: counts({ pending: 2, updating: 1 }), cancelRequested: false, expected: "in_progress" },
    { counts: counts({ pending: 2, succeeded: 1 }), cancelRequested: false, expected: "in_progress" },
    { counts: counts({ updating: 3 }), cancelRequested: false, expected: "in_progress" },
    { counts: counts({ updating: 1, failed: 2 }), cancelRequested: false, expected: "in_progress" },
    { counts: counts({ pending: 1, failed: 1 }), cancelRequested: false, expected: "in_progress" },
    { counts: counts({ pending: 1, cancelled: 1 }), cancelRequested: false, expected: "in_progress" },
    { counts: counts({ updating: 1, cancelled: 1 }), cancelRequested: false, expected: "in_progress" },
    // the gap rule: nothing left to do, no failure, the rest taken over by newer rollouts
    { counts: counts({ succeeded: 2, cancelled: 1 }), cancelRequested: false, expected: "completed" },
  ])("$counts (cancel requested: $cancelRequested) → $expected", ({ counts, cancelRequested, expected }) => {
    expect(deriveRolloutStatus(counts, cancelRequested)).toBe(expected);
  });
});

describe("nextRolloutState", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const earlier = new Date("2025-12-31T00:00:00Z");

  it("stamps completedAt on reaching a terminal status", () =>
    expect(nextRolloutState(counts({ succeeded: 1 }), false, null, now)).toEqual({ status: "completed", completedAt: now }));
  it("keeps the first completedAt", () =>
    expect(nextRolloutState(counts({ failed: 1 }), true, earlier, now)).toEqual({ status: "cancelled", completedAt: earlier }));
  it("clears completedAt when a retry makes it active again", () =>
    expect(nextRolloutState(counts({ pending: 1, succeeded: 1 }), false, earlier, now)).toEqual({
      status: "in_progress",
      completedAt: null,
    }));
});

describe("moveCounts", () => {
  it("moves devices between states and keeps the total", () =>
    expect(moveCounts(counts({ pending: 3 }), "pending", "updating", 2)).toEqual(counts({ pending: 1, updating: 2 })));
  it("refuses to go below zero", () =>
    expect(() => moveCounts(counts({ pending: 1 }), "updating", "succeeded")).toThrow(/underflow/));
  it("leaves counts alone for a no-op", () => {
    const before = counts({ failed: 1 });
    expect(moveCounts(before, "failed", "failed")).toBe(before);
  });
});
