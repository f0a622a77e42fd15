import type { DesiredContainer, DesiredState, ManagedContainer } from "./types";

/** What the agent remembers about a rollout it reported on (kept in the state directory). */
export interface RolloutOutcome {
  rolloutId: string;
  attempt: number;
  /** `conflict`: the server answered 409 (cancelled, superseded): it moved on. */
  status: "succeeded" | "failed" | "conflict";
}

export type Decision =
  | { kind: "idle"; reason: string }
  /** Containers must change; report to the rollout if there is one. */
  | { kind: "apply"; report: boolean }
  /** Containers already match a rollout not yet confirmed: report updating then succeeded. */
  | { kind: "confirm" }
  /** Containers match; only leftovers to remove. */
  | { kind: "cleanup" };

/**
 * Decides what a poll leads to. Pure. A failed attempt is not retried on the agent's own
 * initiative: it waits for a manager's retry (a higher attempt) or a new rollout.
 */
export function decide(
  desired: DesiredState,
  wanted: DesiredContainer[],
  current: ManagedContainer[],
  outcomes: readonly RolloutOutcome[],
): Decision {
  if (desired.bundleId === null) return { kind: "idle", reason: "nothing is assigned to this device" };

  const outcome =
    desired.rolloutId === null
      ? undefined
      : outcomes.find((known) => known.rolloutId === desired.rolloutId && known.attempt === (desired.attempt ?? 1));
  const matches = wanted.every((container) =>
    current.some((existing) => existing.specHash === container.specHash && existing.running),
  );

  if (matches) {
    if (desired.rolloutId !== null && outcome === undefined) return { kind: "confirm" };
    const wantedHashes = new Set(wanted.map((container) => container.specHash));
    if (current.some((existing) => !wantedHashes.has(existing.specHash))) return { kind: "cleanup" };
    return { kind: "idle", reason: `running ${desired.version}` };
  }
  if (outcome?.status === "failed")
    return { kind: "idle", reason: `attempt ${outcome.attempt} of rollout ${outcome.rolloutId} failed; waiting for a retry` };
  if (outcome?.status === "conflict")
    return { kind: "idle", reason: `rollout ${outcome.rolloutId} moved on without this device` };
  // Already reported succeeded, yet the containers drifted (removed by hand?): repair quietly.
  if (outcome?.status === "succeeded") return { kind: "apply", report: false };
  return { kind: "apply", report: desired.rolloutId !== null };
}
