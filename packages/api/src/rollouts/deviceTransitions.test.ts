import type { DeviceRolloutState } from "@signalbeam/db";
import { describe, expect, it } from "vitest";
import { checkTransition, deviceRolloutStates } from "./deviceTransitions";

// Every (from, to) pair, spelled out: the table is the specification (docs/DESIGN.md).
const legal: Record<DeviceRolloutState, DeviceRolloutState[]> = {
  queued: ["pending", "cancelled"],
  pending: ["updating", "cancelled"],
  updating: ["succeeded", "failed", "cancelled"],
  succeeded: [],
  failed: ["pending", "queued"],
  cancelled: [],
};

const pairs = deviceRolloutStates.flatMap((from) => deviceRolloutStates.map((to) => ({ from, to })));

describe("device state machine", () => {
  it("covers all 36 pairs", () => expect(pairs).toHaveLength(36));

  it.each(pairs)("$from → $to", ({ from, to }) => {
    const verdict = checkTransition(from, to);
    if (from === to) expect(verdict).toEqual({ kind: "noop" });
    else if (legal[from].includes(to)) expect(verdict).toEqual({ kind: "apply" });
    else expect(verdict).toEqual({ kind: "reject", message: `cannot move a device from ${from} to ${to}` });
  });

  it.each(["succeeded", "cancelled"] as const)("%s is terminal", (state) => {
    for (const to of deviceRolloutStates) if (to !== state) expect(checkTransition(state, to).kind).toBe("reject");
  });
});
