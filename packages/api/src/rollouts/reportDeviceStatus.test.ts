import type { DeviceRolloutState, RolloutStatusRow } from "@signalbeam/db";
import { describe, expect, it } from "vitest";
import { type DeviceReport, planReports } from "./reportDeviceStatus";

const now = new Date("2026-11-26T12:00:00Z");
const row = (deviceId: string, status: DeviceRolloutState): RolloutStatusRow => ({
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
});
const report = (deviceId: string, status: DeviceReport["status"], errorMessage?: string): DeviceReport => ({
  rolloutId: "r1",
  deviceId,
  status,
  errorMessage,
});
const counts = { pending: 2, updating: 1, succeeded: 0, failed: 0, cancelled: 1 };
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
      counts: { pending: 1, updating: 1, succeeded: 1, failed: 0, cancelled: 1 },
      succeeded: ["c"],
    },
    {
      name: "one device's reports in one batch follow each other",
      reports: [report("a", "updating"), report("a", "failed", "pull failed"), report("a", "failed")],
      outcomes: ["updating", "failed", "failed"],
      counts: { pending: 1, updating: 1, succeeded: 0, failed: 1, cancelled: 1 },
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
    const plan = planReports(rows, reports, counts, now);
    expect(
      plan.outcomes.map((outcome) => (outcome.ok ? outcome.row.status : outcome.error.code === "CONFLICT" ? 409 : 404)),
    ).toEqual(outcomes);
    expect(plan.counts).toEqual(expectedCounts);
    expect(plan.succeededDeviceIds).toEqual(succeeded);
  });

  it("keeps the first failure's message, stamps times, and tells a conflict's current state", () => {
    const plan = planReports(
      rows,
      [report("c", "failed", "container app exited with code 1"), report("x", "succeeded")],
      counts,
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
});
