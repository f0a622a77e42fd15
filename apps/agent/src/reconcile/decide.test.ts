import { describe, expect, it } from "vitest";
import { decide, type RolloutOutcome } from "./decide";
import { desiredContainers } from "./labels";
import type { DesiredState, ManagedContainer } from "./types";

const desired = (overrides: Partial<DesiredState> = {}): DesiredState => ({
  deviceId: "dev-1",
  rolloutId: "r-1",
  bundleId: "b-1",
  version: "2.0.0",
  containers: [{ name: "app", image: "local/app:2" }],
  attempt: 1,
  ...overrides,
});

const runningDesired = (state: DesiredState, running = true): ManagedContainer[] =>
  desiredContainers(state).map((container) => ({
    id: container.name,
    name: container.name,
    specName: container.spec.name,
    specHash: container.specHash,
    bundleId: state.bundleId,
    version: state.version,
    running,
    hostPorts: [],
  }));

const old = runningDesired(desired({ version: "1.0.0", containers: [{ name: "app", image: "local/app:1" }] }));
const failed1: RolloutOutcome = { rolloutId: "r-1", attempt: 1, status: "failed" };
const succeeded1: RolloutOutcome = { rolloutId: "r-1", attempt: 1, status: "succeeded" };
const conflict1: RolloutOutcome = { rolloutId: "r-1", attempt: 1, status: "conflict" };

describe("decide", () => {
  it.each([
    {
      name: "nothing assigned",
      state: desired({ rolloutId: null, bundleId: null, version: null, containers: [], attempt: null }),
      current: old,
      outcomes: [],
      expected: "idle",
    },
    { name: "new rollout, old containers", state: desired(), current: old, outcomes: [], expected: "apply+report" },
    { name: "first deploy", state: desired(), current: [], outcomes: [], expected: "apply+report" },
    { name: "failed attempt waits for a retry", state: desired(), current: old, outcomes: [failed1], expected: "idle" },
    {
      name: "a retry (attempt 2) tries again",
      state: desired({ attempt: 2 }),
      current: old,
      outcomes: [failed1],
      expected: "apply+report",
    },
    { name: "server moved on: leave it", state: desired(), current: old, outcomes: [conflict1], expected: "idle" },
    {
      name: "running it, not yet confirmed (restart after the swap)",
      state: desired(),
      current: runningDesired(desired()),
      outcomes: [],
      expected: "confirm",
    },
    {
      name: "running it, confirmed",
      state: desired(),
      current: runningDesired(desired()),
      outcomes: [succeeded1],
      expected: "idle",
    },
    {
      name: "confirmed, leftovers remain",
      state: desired(),
      current: [...runningDesired(desired()), ...old],
      outcomes: [succeeded1],
      expected: "cleanup",
    },
    {
      name: "confirmed but drifted: repair without reporting",
      state: desired(),
      current: [],
      outcomes: [succeeded1],
      expected: "apply",
    },
    {
      name: "wanted container exists but stopped",
      state: desired(),
      current: runningDesired(desired(), false),
      outcomes: [succeeded1],
      expected: "apply",
    },
    {
      name: "no rollout to report to (a cancel restored it)",
      state: desired({ rolloutId: null, attempt: null }),
      current: old,
      outcomes: [],
      expected: "apply",
    },
    {
      name: "no rollout, already running it",
      state: desired({ rolloutId: null, attempt: null }),
      current: runningDesired(desired()),
      outcomes: [],
      expected: "idle",
    },
  ])("$name → $expected", ({ state, current, outcomes, expected }) => {
    const decision = decide(state, desiredContainers(state), current, outcomes);
    const label = decision.kind === "apply" ? (decision.report ? "apply+report" : "apply") : decision.kind;
    expect(label).toBe(expected);
  });
});
