import type { DeviceRolloutState, RolloutStatusRow } from "@signalbeam/db";
import { describe, expect, it } from "vitest";
import { type DeviceReport, planReports } from "./reportDeviceStatus";

const now = new Date("2026-11-26T12:00:00Z");
const row = (deviceId: string, status: DeviceRolloutState, wave: number | null = null): RolloutStatusRow => ({
  rollout_id: "r1",
  device_id: deviceId,
  device_name: `Device ${deviceId}`,
  status,
  attempt: 1,
  started_at: null,
  completed_at: null,
  error_message: null,
  updated_at: new Date("2026-11-26T11:00:00Z"),
  previous_bundle_id: null,
  previous_version: null,
  wave,
  release_order: null,
  next_attempt_at: null,
});
const report = (deviceId: string, status: DeviceReport["status"], errorMessage?: string): DeviceReport => ({
  rolloutId: "r1",
  deviceId,
  status,
  errorMessage,
});
const counts = { queued: 0, pending: 2, updating: 1, succeeded: 0, failed: 0, cancelled: 1 };
const rows = new Map([
  ["a", row("a", "pending")],
  ["b", row("b", "pending")],
  ["c", row("c", "updating")],
  ["x", row("x", "cancelled")],
]);

describe("planReports: a batch of reports, applied in arrival order", () => {
  it.each([
    {
      name: "independent devices each move once",
      reports: [report("a", "updating"), report("c", "succeeded")],
      outcomes: ["updating", "succeeded"],
      counts: { queued: 0, pending: 1, updating: 1, succeeded: 1, failed: 0, cancelled: 1 },
      succeeded: ["c"],
    },
    {
      name: "one device's reports in one batch follow each other",
      reports: [report("a", "updating"), report("a", "failed", "pull failed"), report("a", "failed")],
      outcomes: ["updating", "failed", "failed"],
      counts: { queued: 0, pending: 1, updating: 1, succeeded: 0, failed: 1, cancelled: 1 },
      succeeded: [],
    },
    {
      name: "a repeat is a no-op, an illegal move a 409, an unknown device a 404",
      reports: [report("c", "updating"), report("x", "updating"), report("ghost", "updating"), report("b", "succeeded")],
      outcomes: ["updating", 409, 404, 409],
      counts,
      succeeded: [],
    },
  ])("$name", ({ reports, outcomes, counts: expectedCounts, succeeded }) => {
    const plan = planReports(rows, reports, { counts, waves: null }, now);
    expect(
      plan.outcomes.map((outcome) => (outcome.ok ? outcome.row.status : outcome.error.code === "CONFLICT" ? 409 : 404)),
    ).toEqual(outcomes);
    expect(plan.tally.counts).toEqual(expectedCounts);
    expect(plan.succeededDeviceIds).toEqual(succeeded);
  });

  it("keeps the first failure's message, stamps times, and tells a conflict's current state", () => {
    const plan = planReports(
      rows,
      [report("c", "failed", "container app exited with code 1"), report("x", "succeeded")],
      { counts, waves: null },
      now,
    );
    const failed = plan.outcomes[0]!;
    expect(failed.ok && failed.row).toMatchObject({
      status: "failed",
      completed_at: now,
      error_message: "container app exited with code 1",
    });
    const conflict = plan.outcomes[1]!;
    expect(!conflict.ok && conflict.error.details).toEqual({ currentStatus: "cancelled" });
    expect([...plan.changed.keys()]).toEqual(["c"]);
    // The input rows are not modified.
    expect(rows.get("c")!.status).toBe("updating");
  });

  it("moves each device's wave counters with the rollout's, and refuses reports from queued devices", () => {
    const none = { queued: 0, pending: 0, updating: 0, succeeded: 0, failed: 0, cancelled: 0 };
    const wave = (counts: Partial<typeof none>) => ({
      name: null,
      size: 0,
      startedAt: null,
      passedAt: null,
      counts: { ...none, ...counts },
    });
    const staged = new Map([
      ["a", row("a", "pending", 0)],
      ["b", row("b", "updating", 0)],
      ["q", row("q", "queued", 1)],
    ]);
    const plan = planReports(
      staged,
      [report("a", "updating"), report("b", "succeeded"), report("q", "updating")],
      {
        counts: { ...none, pending: 1, updating: 1, queued: 1 },
        waves: [wave({ pending: 1, updating: 1 }), wave({ queued: 1 })],
      },
      now,
    );
    expect(plan.outcomes.map((outcome) => outcome.ok || outcome.error.details)).toEqual([
      true,
      true,
      { currentStatus: "queued" },
    ]);
    expect(plan.tally.counts).toEqual({ ...none, updating: 1, succeeded: 1, queued: 1 });
    expect(plan.tally.waves!.map((w) => w.counts)).toEqual([
      { ...none, updating: 1, succeeded: 1 },
      { ...none, queued: 1 },
    ]);
  });
});
