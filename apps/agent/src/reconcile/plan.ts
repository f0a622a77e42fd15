import { hostPortsOf } from "./labels";
import type { DesiredContainer, ManagedContainer, Step } from "./types";

export interface PlanInput {
  current: ManagedContainer[];
  desired: DesiredContainer[];
  /** Image references present on the host (as the spec names them). */
  presentImages: ReadonlySet<string>;
  /** Whether there is a rollout to report to (desired state with a rolloutId). */
  reportTo: boolean;
}

/**
 * The steps that take the host from `current` to `desired`, in a safe order:
 * report updating → pull missing images → clear stale copies → stop old containers whose host
 * ports the new ones need → create and start the new → wait until they run → remove the old →
 * report succeeded. New containers start before old ones go, so a failure can fall back.
 * Unchanged containers (same spec hash, running) are left alone. Pure: no I/O.
 */
export function planUpdate({ current, desired, presentImages, reportTo }: PlanInput): Step[] {
  const keptIds = new Set<string>();
  const toCreate: DesiredContainer[] = [];
  for (const container of desired) {
    const running = current.find((existing) => existing.specHash === container.specHash && existing.running);
    if (running) keptIds.add(running.id);
    else toCreate.push(container);
  }
  const leftovers = current.filter((existing) => !keptIds.has(existing.id));
  if (toCreate.length === 0) {
    return leftovers.map((old) => ({ kind: "remove", container: { id: old.id, name: old.name }, reason: "no longer desired" }));
  }

  const steps: Step[] = [];
  if (reportTo) steps.push({ kind: "report", status: "updating" });

  for (const image of new Set(toCreate.map((container) => container.spec.image)))
    if (!presentImages.has(image)) steps.push({ kind: "pull", image });

  const handled = new Set<string>();
  // A stopped copy of a wanted container (crashed, engine restarted) holds its name: clear it.
  for (const container of toCreate)
    for (const stale of current.filter((existing) => existing.specHash === container.specHash && !existing.running)) {
      steps.push({ kind: "remove", container: { id: stale.id, name: stale.name }, reason: "stale copy" });
      handled.add(stale.id);
    }

  const neededPorts = new Set(toCreate.flatMap((container) => hostPortsOf(container.spec)));
  for (const old of leftovers)
    if (!handled.has(old.id) && old.running && old.hostPorts.some((port) => neededPorts.has(port))) {
      steps.push({ kind: "stop", container: { id: old.id, name: old.name }, reason: "frees host ports for its replacement" });
    }

  for (const container of toCreate) {
    steps.push({ kind: "create", container });
    steps.push({ kind: "start", name: container.name });
  }
  for (const container of toCreate) steps.push({ kind: "await-running", name: container.name, specName: container.spec.name });
  for (const old of leftovers)
    if (!handled.has(old.id)) steps.push({ kind: "remove", container: { id: old.id, name: old.name }, reason: "replaced" });

  if (reportTo) steps.push({ kind: "report", status: "succeeded" });
  return steps;
}

/** True when a plan changes what runs (not only removes leftovers). */
