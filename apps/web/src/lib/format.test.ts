import { describe, expect, it } from "vitest";
import { formatDuration, isActive, percentDone, statusColour, statusLabel } from "./format";

describe("formatDuration", () => {
  it.each([
    [null, null, "—"],
    ["2026-01-01T00:00:00Z", null, "—"],
    ["2026-01-01T00:00:00Z", "2026-01-01T00:00:45Z", "45s"],
    ["2026-01-01T00:00:00Z", "2026-01-01T00:02:30Z", "2m 30s"],
    ["2026-01-01T00:00:00Z", "2026-01-01T01:02:03Z", "1h 2m"],
    ["2026-01-01T00:00:10Z", "2026-01-01T00:00:00Z", "0s"],
  ])("%s → %s = %s", (startedAt, completedAt, expected) => expect(formatDuration(startedAt, completedAt)).toBe(expected));
});

describe("percentDone", () => {
  it.each([
    [{ total: 0, succeeded: 0, failed: 0, cancelled: 0 }, 0],
    [{ total: 3, succeeded: 1, failed: 0, cancelled: 0 }, 33],
    [{ total: 3, succeeded: 1, failed: 1, cancelled: 1 }, 100],
    [{ total: 100_000, succeeded: 99_999, failed: 0, cancelled: 0 }, 99],
  ])("%o → %i%%", (progress, expected) => expect(percentDone(progress)).toBe(expected));
});

describe("status presentation", () => {
  it("refreshes only pending and in-progress rollouts", () => {
    expect(["pending", "in_progress", "completed", "failed", "cancelled"].filter((status) => isActive(status as never))).toEqual([
      "pending",
      "in_progress",
    ]);
  });
  it("labels every status in words, not colour alone", () => {
    expect(statusLabel("in_progress")).toBe("In Progress");
    expect(statusLabel("updating")).toBe("Updating");
    expect(statusColour("failed")).toBe("red");
  });
});
