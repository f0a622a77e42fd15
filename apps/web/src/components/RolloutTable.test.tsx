import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { renderInApp } from "../test/render";
import { type RolloutRow, RolloutTable } from "./RolloutTable";
import { StatusBadge } from "./StatusBadge";

afterEach(cleanup);

const rollout = (overrides: Partial<RolloutRow>): RolloutRow => ({
  id: "11111111-1111-4111-8111-111111111111",
  bundleId: "b1",
  version: "1.2.0",
  status: "in_progress",
  progress: { total: 3, succeeded: 2 },
  createdAt: "2026-01-02T03:04:05Z",
  ...overrides,
});

describe("RolloutTable", () => {
  it("shows progress as 'succeeded of total' and links each rollout to its page", () => {
    renderInApp(<RolloutTable rollouts={[rollout({})]} bundleName={() => "Warehouse Telemetry"} />);
    const row = screen.getAllByRole("row")[1]!;
    expect(within(row).getByText("2/3 succeeded")).toBeTruthy();
    expect(within(row).getByText("Warehouse Telemetry")).toBeTruthy();
    expect(within(row).getByText("In Progress")).toBeTruthy();
    expect(within(row).getByRole("link", { name: "View Details" }).getAttribute("href")).toBe(
      "/rollouts/11111111-1111-4111-8111-111111111111",
    );
  });

  it("leaves out the bundle column on a bundle's own page", () => {
    renderInApp(<RolloutTable rollouts={[rollout({})]} />);
    expect(screen.queryByRole("columnheader", { name: "Bundle" })).toBeNull();
  });

  it("says when there is no history", () => {
    renderInApp(<RolloutTable rollouts={[]} />);
    expect(screen.getByText("No rollouts yet.")).toBeTruthy();
  });
});

describe("StatusBadge", () => {
  it.each([
    ["failed", "Failed"],
    ["cancelled", "Cancelled"],
    ["succeeded", "Succeeded"],
  ] as const)("writes %s as %s, so colour is never the only cue", (status, text) => {
    renderInApp(<StatusBadge status={status} />);
    expect(screen.getByText(text).closest("[data-status]")?.getAttribute("data-status")).toBe(status);
  });
});
