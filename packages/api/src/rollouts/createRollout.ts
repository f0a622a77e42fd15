import { randomUUID } from "node:crypto";
import type { Database, RolloutKind, RolloutPolicy, RolloutRow, Transaction, WaveState } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { z } from "zod";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { DomainError, InputValidationError } from "../shared/errors";
import { type Change, writeChange } from "../shared/writeChange";
import { runControllerStep } from "./policy/controllerStep";
import { type Placement, planWaves } from "./policy/planWaves";
import { assertBundleVersion, resolveTargetDevices } from "./resolveTargets";
import { rolloutColumns } from "./rolloutRepository";
import type { createRolloutInput } from "./rolloutSchemas";
import { noDevices } from "./rolloutStatus";
import { insertRolloutRows, lockDesiredStates, lockRolloutsToSupersede, takeOverDevices } from "./takeOverDevices";

/** A rollout whose status rows do not match its total would lie about its progress forever. */
class IncompleteRollout extends Error {
  constructor(expected: number, written: number) {
    super(`rollout would have ${written} status rows for ${expected} devices; nothing was written`);
  }
}

export type CreateRolloutInput = z.infer<typeof createRolloutInput>;

/** What only the server makes: rollback rollouts (POST /rollouts/{id}/rollback). */
export interface RolloutOrigin {
  kind: RolloutKind;
  rollbackOf: string | null;
}

/**
 * One transaction: validate bundle, version and every target, expand groups, dedupe, write the
 * rollout and a row per device, and make it the rollout its devices belong to (superseding older
 * rollouts). Without a policy every device is `pending` and its desired state points here; with
 * one, every device is `queued` in its wave and the controller's first step (in this same
 * transaction) starts the first wave unless the schedule says later. A rejected request writes
 * nothing.
 */
export async function createRollout(
  deps: WriteDeps,
  actor: AuditActor,
  input: CreateRolloutInput,
): Promise<{ rollout: RolloutRow; targetIds: string[] }> {
  return writeChange(deps, (tx, change) => createRolloutInTransaction(tx, change, actor, input)).then((created) => {
    deps.targetLists.remember(created.rollout.id, created.targetIds);
    return created;
  });
}

/** `createRollout` inside a caller's transaction (a rollback writes several with its cancel). */
export async function createRolloutInTransaction(
  tx: Transaction<Database>,
  change: Change,
  actor: AuditActor,
  input: CreateRolloutInput,
  origin: RolloutOrigin = { kind: "standard", rollbackOf: null },
): Promise<{ rollout: RolloutRow; targetIds: string[] }> {
  const { now } = change;
  await assertBundleVersion(tx, input.bundleId, input.version);
  const { targetIds, deviceIds } = await resolveTargetDevices(tx, input);
  // A caller may choose the id: the one a plan answered (so the waves are the plan's), or a CI job's own.
  const rolloutId = input.rolloutId?.toLowerCase() ?? randomUUID();
  const policy = input.policy ?? null;
  const plan = policy ? await placeDevices(tx, rolloutId, deviceIds, policy) : null;
  await lockDesiredStates(tx, deviceIds, now);

  const superseding = await lockRolloutsToSupersede(tx, rolloutId, deviceIds);
  const counts = { ...noDevices(), [plan ? "queued" : "pending"]: deviceIds.length };
  const waves: WaveState[] | null = plan
    ? plan.sizes.map((size, index) => ({
        name: policy!.waves[index]!.name ?? null,
        size,
        startedAt: null,
        passedAt: null,
        counts: { ...noDevices(), queued: size },
      }))
    : null;
  const startAt = policy?.schedule?.startAt ? new Date(policy.schedule.startAt) : null;
  const inserted = await tx
    .insertInto("rollouts")
    .values({
      id: rolloutId,
      bundle_id: input.bundleId,
      version: input.version,
      target_type: input.targetType,
      target_ids: JSON.stringify(targetIds),
      target_count: targetIds.length,
      status: plan ? "scheduled" : "pending",
      total: deviceIds.length,
      ...counts,
      created_at: now,
      updated_at: now,
      policy: policy ? JSON.stringify(policy) : null,
      kind: origin.kind,
      rollback_of: origin.rollbackOf,
      waves: waves ? JSON.stringify(waves) : null,
      start_at: startAt,
    })
    // A chosen id already taken (even by a create racing this one): a 409 naming the field, nothing written.
    .onConflict((conflict) => conflict.column("id").doNothing())
    .returning(rolloutColumns)
    .executeTakeFirst();
  if (!inserted)
    throw new DomainError("CONFLICT", `rolloutId: a rollout with id ${rolloutId} already exists`, { field: "rolloutId" });
  const written = await insertRolloutRows(tx, { rolloutId, deviceIds, now, ...(plan ? { placements: plan.placements } : {}) });
  if (written !== deviceIds.length) throw new IncompleteRollout(deviceIds.length, written);
  await takeOverDevices(tx, {
    rolloutId,
    bundleId: input.bundleId,
    version: input.version,
    deviceIds,
    now,
    superseding,
    queued: plan !== null,
    change,
  });

  change.desiredStates(deviceIds);
  change.rollout(rolloutId);
  for (const superseded of superseding.keys()) change.rollout(superseded);
  const summary = {
    bundleId: input.bundleId,
    version: input.version,
    targetType: input.targetType,
    // A 100,000-device target list belongs in the rollout, not in every audit listing.
    ...(targetIds.length <= 20 ? { targetIds } : { targetCount: targetIds.length }),
    devices: deviceIds.length,
    ...(origin.kind === "rollback" ? { kind: origin.kind, rollbackOf: origin.rollbackOf } : {}),
    ...(plan ? { waves: plan.sizes } : {}),
  };
  change.audit(actor, { action: "rollout.created", target: { type: "rollout", id: rolloutId }, details: summary });
  change.event({ type: "rollout.created", rolloutId, actor, data: summary });
  if (startAt && startAt > now)
    change.event({ type: "rollout.scheduled", rolloutId, actor, data: { startAt: startAt.toISOString() } });
  const rollout = plan ? await runControllerStep(tx, change, rolloutId) : inserted;
  return { rollout, targetIds };
}

/** Places the devices in waves, or answers 400 naming the wave these targets would leave empty. */
export async function placeDevices(
  tx: Transaction<Database>,
  rolloutId: string,
  deviceIds: string[],
  policy: RolloutPolicy,
): Promise<{ sizes: number[]; placements: Placement[] }> {
  const matching: Set<string>[] = [];
  for (const wave of policy.waves) {
    if (!wave.selector) {
      matching.push(new Set());
      continue;
    }
    const rows = await sql<{ id: string }>`
      SELECT id FROM devices WHERE id = ANY(${deviceIds}::text[]) AND labels @> ${JSON.stringify(wave.selector.labels)}::jsonb
    `.execute(tx);
    matching.push(new Set(rows.rows.map((row) => row.id)));
  }
  const plan = planWaves(rolloutId, deviceIds, policy.waves, matching);
  if (!plan.ok) {
    const path = plan.path.join(".");
    throw new InputValidationError(`${path}: ${plan.message}`, [{ path, message: plan.message }]);
  }
  return plan;
}
