import type { DeviceRolloutState } from "@signalbeam/db";

export const deviceRolloutStates = [
  "queued",
  "pending",
  "updating",
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly DeviceRolloutState[];

/**
 * The per-device state machine (docs/DESIGN.md). Anything not listed is illegal; `succeeded` and
 * `cancelled` are terminal.
 *   queued   → pending (the controller releases it), cancelled (cancel, abort, supersede)
 *   pending  → updating (agent), cancelled (manager cancel, or superseded by a newer rollout)
 *   updating → succeeded, failed (agent; failed also by the controller's timeout), cancelled
 *   failed   → pending (manager retry), queued (an automatic retry policy)
 * Agents report only updating, succeeded and failed, so a queued device's report is a 409.
 */
const allowedTransitions: Readonly<Record<DeviceRolloutState, readonly DeviceRolloutState[]>> = {
  queued: ["pending", "cancelled"],
  pending: ["updating", "cancelled"],
  updating: ["succeeded", "failed", "cancelled"],
  succeeded: [],
  failed: ["pending", "queued"],
  cancelled: [],
};

export type TransitionVerdict =
  | { kind: "apply" }
  /** Already in that state: repeating a report after a network fault is safe. */
  | { kind: "noop" }
  | { kind: "reject"; message: string };

export function checkTransition(from: DeviceRolloutState, to: DeviceRolloutState): TransitionVerdict {
  if (from === to) return { kind: "noop" };
  if (allowedTransitions[from].includes(to)) return { kind: "apply" };
  return { kind: "reject", message: `cannot move a device from ${from} to ${to}` };
}
