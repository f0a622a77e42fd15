import { randomUUID } from "node:crypto";
import type { Deps } from "../deps";
import { type CreateRolloutInput, placeDevices } from "./createRollout";
import { assertBundleVersion, resolveTargetDevices } from "./resolveTargets";

/**
 * What POST /rollouts would do with this input, without doing it: the same checks (bundle,
 * version, every target, the policy's waves) and the devices of each wave in release order.
 * Placement hashes the rollout's id, so the plan names an id; creating with that `rolloutId`
 * gives exactly these waves. Read-only: nothing is written or locked.
 */
export async function planRollout(deps: Pick<Deps, "db">, input: CreateRolloutInput) {
  const rolloutId = input.rolloutId?.toLowerCase() ?? randomUUID();
  return deps.db.transaction().execute(async (tx) => {
    await assertBundleVersion(tx, input.bundleId, input.version);
    const { deviceIds } = await resolveTargetDevices(tx, input);
    const policy = input.policy;
    if (!policy)
      return { rolloutId, deviceCount: deviceIds.length, waves: [{ index: 0, name: null, size: deviceIds.length, deviceIds }] };
    const plan = await placeDevices(tx, rolloutId, deviceIds, policy);
    const waves = plan.sizes.map((size, index) => ({
      index,
      name: policy.waves[index]?.name ?? null,
      size,
      deviceIds: [] as string[],
    }));
    for (const placement of [...plan.placements].sort((a, b) => a.order - b.order))
      waves[placement.wave]!.deviceIds.push(placement.deviceId);
    return { rolloutId, deviceCount: deviceIds.length, waves };
  });
}
