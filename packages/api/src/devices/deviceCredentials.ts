import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { AuditActor } from "../audit/auditLog";
import { generateDeviceToken, sha256Hex } from "../auth/secrets";
import type { WriteDeps } from "../deps";
import { DomainError, notFound } from "../shared/errors";
import { writeChange } from "../shared/writeChange";
import type { createDeviceInput } from "./deviceSchemas";

/**
 * Registering a device and managing its token. Only the token's SHA-256 is stored; the token
 * itself is returned once. This process's agent cache learns a new token as the write commits, so
 * a device registered a moment ago reports and polls without a lookup.
 */
export async function registerDevice(deps: WriteDeps, actor: AuditActor, input: z.infer<typeof createDeviceInput>) {
  const id = input.id ?? randomUUID();
  const token = generateDeviceToken();
  const device = await writeChange(deps, async (tx, change) => {
    const digest = sha256Hex(token);
    const inserted = await tx
      .insertInto("devices")
      .values({ id, name: input.name, labels: JSON.stringify(input.labels ?? {}), token_hash: digest, created_at: change.now })
      .onConflict((conflict) => conflict.column("id").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw new DomainError("CONFLICT", `device ${id} already exists`, { field: "id" });
    await tx.insertInto("device_desired_states").values({ device_id: id, updated_at: change.now }).execute();
    change.newToken(id, digest);
    // Nothing cached can be stale for a new device; this lets a warm cache load its answer before its first poll.
    change.desiredStates([id]);
    change.audit(actor, { action: "device.created", target: { type: "device", id }, details: { name: input.name } });
    return inserted;
  });
  return { device, token };
}

/** A new token for the device; the old one is refused from the commit on (every replica, through NOTIFY). */
export async function rotateDeviceToken(deps: WriteDeps, actor: AuditActor, deviceId: string) {
  const token = generateDeviceToken();
  await writeChange(deps, async (tx, change) => {
    const digest = sha256Hex(token);
    const updated = await tx
      .updateTable("devices")
      .set({ token_hash: digest })
      .where("id", "=", deviceId)
      .returning("id")
      .executeTakeFirst();
    if (!updated) throw notFound("device", deviceId);
    change.newToken(deviceId, digest);
    change.audit(actor, { action: "device.token_rotated", target: { type: "device", id: deviceId } });
  });
  return { deviceId, token };
}

/** The device's agent is refused until a new token is issued. Revoking a revoked token changes nothing. */
export async function revokeDeviceToken(deps: WriteDeps, actor: AuditActor, deviceId: string): Promise<void> {
  await writeChange(deps, async (tx, change) => {
    const device = await tx
      .selectFrom("devices")
      .select(["id", "token_hash"])
      .where("id", "=", deviceId)
      .forUpdate()
      .executeTakeFirst();
    if (!device) throw notFound("device", deviceId);
    if (device.token_hash === null) return;
    await tx.updateTable("devices").set({ token_hash: null }).where("id", "=", device.id).execute();
    change.credentials([device.id]);
    change.audit(actor, { action: "device.token_revoked", target: { type: "device", id: device.id } });
  });
}
