import { describe, expect, it } from "vitest";
import {
  applyMoves,
  type DeviceCounts,
  deriveRolloutStatus,
  moveCounts,
  nextRolloutState,
  type StatusFlags,
} from "./rolloutStatus";

const counts = (partial: Partial<DeviceCounts>): DeviceCounts => ({
  queued: 0,
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
    expect(deriveRolloutStatus(counts, { cancelRequested })).toBe(expected);
  });
});

describe("deriveRolloutStatus with a policy", () => {
  const flags = (partial: Partial<StatusFlags>): StatusFlags => ({ cancelRequested: false, ...partial });
  it.each([
    // queued devices wait like pending ones
    { counts: counts({ queued: 90, pending: 10 }), flags: flags({}), expected: "pending" },
    { counts: counts({ queued: 90, succeeded: 10 }), flags: flags({}), expected: "in_progress" },
    { counts: counts({ queued: 1, failed: 1 }), flags: flags({}), expected: "in_progress" },
    // failed only when nothing is queued either
    { counts: counts({ succeeded: 9, failed: 1 }), flags: flags({}), expected: "failed" },
    // scheduled before paused, both after cancelled
    { counts: counts({ queued: 5 }), flags: flags({ scheduled: true }), expected: "scheduled" },
    { counts: counts({ queued: 5 }), flags: flags({ scheduled: true, cancelRequested: true }), expected: "cancelled" },
    { counts: counts({ queued: 5, failed: 5 }), flags: flags({ paused: true }), expected: "paused" },
    { counts: counts({ queued: 5 }), flags: flags({ paused: true, scheduled: true }), expected: "scheduled" },
    // a paused rollout whose last released device finished is still paused: the queue waits
    { counts: counts({ queued: 5, succeeded: 5 }), flags: flags({ paused: true }), expected: "paused" },
  ])("$counts $flags → $expected", ({ counts, flags, expected }) => {
    expect(deriveRolloutStatus(counts, flags)).toBe(expected);
  });
});

describe("applyMoves", () => {
  const wave = (partial: Partial<DeviceCounts>) => ({
    name: null,
    size: 0,
    startedAt: null,
    passedAt: null,
    counts: counts(partial),
  });
  it("moves the rollout's counters and its waves' together", () => {
    const tally = { counts: counts({ queued: 8, pending: 2 }), waves: [wave({ pending: 2 }), wave({ queued: 8 })] };
    const after = applyMoves(tally, [
      { wave: 0, from: "pending", to: "updating", devices: 1 },
      { wave: 1, from: "queued", to: "pending", devices: 3 },
    ]);
    expect(after.counts).toEqual(counts({ queued: 5, pending: 4, updating: 1 }));
    expect(after.waves!.map((w) => w.counts)).toEqual([counts({ pending: 1, updating: 1 }), counts({ queued: 5, pending: 3 })]);
    expect(tally.waves[0]!.counts).toEqual(counts({ pending: 2 })); // the input is left alone
  });
  it("refuses a move its wave cannot make", () =>
    expect(() =>
      applyMoves({ counts: counts({ pending: 1 }), waves: [wave({}), wave({ pending: 1 })] }, [
        { wave: 0, from: "pending", to: "updating", devices: 1 },
      ]),
    ).toThrow(/underflow/));
  it("ignores waves for a rollout without them", () =>
    expect(
      applyMoves({ counts: counts({ pending: 1 }), waves: null }, [{ wave: null, from: "pending", to: "failed", devices: 1 }]),
    ).toEqual({
      counts: counts({ failed: 1 }),
      waves: null,
    }));
});

describe("nextRolloutState", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const earlier = new Date("2025-12-31T00:00:00Z");

  it("stamps completedAt on reaching a terminal status", () =>
    expect(nextRolloutState(counts({ succeeded: 1 }), { cancelRequested: false }, null, now)).toEqual({
      status: "completed",
      completedAt: now,
    }));
  it("keeps the first completedAt", () =>
    expect(nextRolloutState(counts({ failed: 1 }), { cancelRequested: true }, earlier, now)).toEqual({
      status: "cancelled",
      completedAt: earlier,
    }));
  it("clears completedAt when a retry makes it active again", () =>
    expect(nextRolloutState(counts({ pending: 1, succeeded: 1 }), { cancelRequested: false }, earlier, now)).toEqual({
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
