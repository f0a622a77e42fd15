import type { z } from "zod";
import type { Deps } from "../deps";
import type { heartbeatInput } from "./deviceSchemas";

/** The device is alive (its `lastSeenAt`, hence `online`) and runs what its agent says it runs. */
export async function recordHeartbeat(deps: Pick<Deps, "db" | "clock">, input: z.infer<typeof heartbeatInput>): Promise<Date> {
  const now = deps.clock();
  await deps.db
    .updateTable("devices")
    .set({
      last_seen_at: now,
      ...(input.bundleId !== undefined ? { reported_bundle_id: input.bundleId } : {}),
      ...(input.version !== undefined ? { reported_version: input.version } : {}),
      ...(input.agentVersion !== undefined ? { agent_version: input.agentVersion } : {}),
    })
    .where("id", "=", input.deviceId)
    .execute();
  return now;
}
